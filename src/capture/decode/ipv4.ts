import { formatIpv4 } from './addr-format';
import type { DecodedPacket } from './decoded-packet';
import { flag, u16, u32 } from './new-packet';
import { decodeTransport } from './transport';

/**
 * IPv4. The total length, not the captured length, bounds the transport layer: Ethernet
 * padding is dropped, and a snaplen-cut capture still reports the real payload length.
 */
export function decodeIpv4(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  p.l3 = 'ipv4';
  if (off + 20 > end) {
    flag(p, 'truncated_ipv4');
    return;
  }
  if (d[off] >> 4 !== 4) {
    flag(p, 'bad_ipv4_header');
    return;
  }
  const headerLen = (d[off] & 0x0f) * 4;
  let totalLen = u16(d, off + 2);
  const flagsFrag = u16(d, off + 6);
  p.ttl = d[off + 8];
  p.ipProto = d[off + 9];
  p.srcIp = formatIpv4(d, off + 12);
  p.dstIp = formatIpv4(d, off + 16);
  p.srcIpv4 = u32(d, off + 12);
  p.dstIpv4 = u32(d, off + 16);
  p.ipHeaderLen = headerLen;
  p.ipDf = (flagsFrag & 0x4000) !== 0;
  p.ipMf = (flagsFrag & 0x2000) !== 0;
  p.fragOffset = (flagsFrag & 0x1fff) * 8;
  if (headerLen < 20) {
    flag(p, 'bad_ipv4_header');
    return;
  }
  p.ipOptionsLen = headerLen - 20;

  // Bytes this frame had on the wire from here on (origLen, not capLen: snaplen cuts are not errors).
  const wireLen = Math.max(p.origLen, end) - off;
  // Total length 0 is what TCP segmentation offload leaves in locally captured packets.
  if (totalLen === 0) totalLen = wireLen;
  p.ipTotalLen = totalLen;
  if (totalLen < headerLen) {
    flag(p, 'bad_ipv4_header');
    return;
  }
  if (totalLen > wireLen) flag(p, 'ip_length_mismatch');
  if (off + headerLen > end) {
    flag(p, 'truncated_ipv4');
    return;
  }
  if (p.fragOffset > 0) return; // later fragments carry no transport header
  const declaredEnd = off + Math.min(totalLen, wireLen);
  decodeTransport(p, d, off + headerLen, Math.min(end, declaredEnd), declaredEnd);
}
