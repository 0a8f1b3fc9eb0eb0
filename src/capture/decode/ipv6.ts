import { formatIpv6 } from './addr-format';
import type { DecodedPacket } from './decoded-packet';
import { flag, u16 } from './new-packet';
import { decodeTransport } from './transport';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH_HEADER = 51;
const DEST_OPTS = 60;

/**
 * IPv6 and its extension-header chain. The walk stops at the first header that is not an
 * extension we can size (ESP 50 and No Next Header 59 included): that one is ipProto.
 */
export function decodeIpv6(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  p.l3 = 'ipv6';
  if (off + 40 > end) {
    flag(p, 'truncated_ipv6');
    return;
  }
  if (d[off] >> 4 !== 6) {
    flag(p, 'bad_ipv6_ext'); // no dedicated code for a wrong version nibble
    return;
  }
  const payloadLen = u16(d, off + 4);
  let nextHeader = d[off + 6];
  p.ttl = d[off + 7];
  p.srcIp = formatIpv6(d, off + 8);
  p.dstIp = formatIpv6(d, off + 24);
  p.ipDf = false;
  p.ipMf = false;
  p.fragOffset = 0;
  p.ipOptionsLen = 0;

  const wireLen = Math.max(p.origLen, end) - off;
  // Payload length 0 with a hop-by-hop header is a jumbogram (or TSO): trust the frame length.
  const totalLen = payloadLen === 0 && nextHeader === HOP_BY_HOP ? wireLen : 40 + payloadLen;
  p.ipTotalLen = totalLen;
  if (totalLen > wireLen) flag(p, 'ip_length_mismatch');
  const declaredEnd = off + Math.min(totalLen, wireLen);
  const capEnd = Math.min(end, declaredEnd);

  let cur = off + 40;
  let extCount = 0;
  for (;;) {
    let extLen: number;
    if (nextHeader === HOP_BY_HOP || nextHeader === ROUTING || nextHeader === DEST_OPTS) {
      if (cur + 2 > capEnd) break;
      extLen = (d[cur + 1] + 1) * 8;
    } else if (nextHeader === FRAGMENT) {
      if (cur + 8 > capEnd) break;
      extLen = 8;
      const offFlags = u16(d, cur + 2);
      p.fragOffset = offFlags & 0xfff8; // 13-bit offset in 8-byte units, already shifted by 3
      p.ipMf = (offFlags & 1) !== 0;
    } else if (nextHeader === AUTH_HEADER) {
      if (cur + 2 > capEnd) break;
      extLen = (d[cur + 1] + 2) * 4;
    } else {
      break;
    }
    if (cur + extLen > declaredEnd) {
      flag(p, 'bad_ipv6_ext');
      p.ipProto = nextHeader;
      p.ipHeaderLen = cur - off;
      p.ipv6ExtCount = extCount;
      return;
    }
    extCount++;
    p.ipOptionsLen += extLen;
    nextHeader = d[cur];
    cur += extLen;
  }
  p.ipProto = nextHeader;
  p.ipHeaderLen = cur - off;
  p.ipv6ExtCount = extCount;
  if (isExtension(nextHeader)) {
    // The loop stopped inside an extension header: cut by the capture or by the IPv6 length.
    const need = nextHeader === FRAGMENT ? 8 : 2;
    flag(p, cur + need > declaredEnd ? 'bad_ipv6_ext' : 'truncated_ipv6');
    return;
  }
  if (p.fragOffset > 0) return; // later fragments carry no transport header
  decodeTransport(p, d, cur, capEnd, declaredEnd);
}

function isExtension(nh: number): boolean {
  return nh === HOP_BY_HOP || nh === ROUTING || nh === DEST_OPTS || nh === FRAGMENT || nh === AUTH_HEADER;
}
