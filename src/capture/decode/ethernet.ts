import { formatMac } from './addr-format';
import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType, decodeLlc } from './ethertype';
import { flag } from './new-packet';

/** Ethernet II (type ≥ 0x0600) or IEEE 802.3 (length field ≤ 1500, LLC follows). */
export function decodeEthernet(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 14 > end) {
    flag(p, 'truncated_link');
    return;
  }
  p.dstMac = formatMac(d, off);
  p.srcMac = formatMac(d, off + 6);
  const typeOrLen = (d[off + 12] << 8) | d[off + 13];
  if (typeOrLen >= 0x0600) {
    decodeEtherType(p, d, off + 14, end, typeOrLen);
  } else if (typeOrLen <= 1500) {
    decodeLlc(p, d, off + 14, Math.min(end, off + 14 + typeOrLen));
  } else {
    p.l3 = 'other'; // 1501..1535: neither a length nor an ethertype
  }
}
