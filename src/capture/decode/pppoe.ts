import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype';
import { flag } from './new-packet';

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/**
 * PPPoE session stage (ethertype 0x8864): 6-byte PPPoE header, then a PPP protocol field.
 * IP inside goes on to the IP analyzers; LCP/IPCP/PAP … are control traffic ('other').
 * etherType stays 0x8864 so features can tell tunnelled IP from plain IP.
 */
export function decodePppoeSession(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 8 > end) {
    flag(p, 'truncated_link');
    return;
  }
  // Protocol-field compression (RFC 1661 §6.5): an odd first byte is a 1-byte protocol.
  let proto: number;
  let next: number;
  if ((d[off + 6] & 1) === 1) {
    proto = d[off + 6];
    next = off + 7;
  } else {
    proto = (d[off + 6] << 8) | d[off + 7];
    next = off + 8;
  }
  if (proto === PPP_IPV4) decodeEtherType(p, d, next, end, ETHERTYPE_IPV4);
  else if (proto === PPP_IPV6) decodeEtherType(p, d, next, end, ETHERTYPE_IPV6);
  else p.l3 = 'other';
  p.etherType = 0x8864;
}
