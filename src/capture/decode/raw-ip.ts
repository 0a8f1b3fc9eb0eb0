import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype';
import { flag } from './new-packet';

/** Raw IP (LINKTYPE 101, 12, 14): no link header; the version nibble says v4 or v6. */
export function decodeRawIp(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 1 > end) {
    flag(p, 'truncated_link');
    return;
  }
  const version = d[off] >> 4;
  if (version === 4) decodeEtherType(p, d, off, end, ETHERTYPE_IPV4);
  else if (version === 6) decodeEtherType(p, d, off, end, ETHERTYPE_IPV6);
  else p.l3 = 'other';
}
