import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype';
import { decodeEthernet } from './ethernet';
import { flag } from './new-packet';
import { decodeLoop, decodeNullLoopback } from './null-loopback';
import { decodeRawIp } from './raw-ip';
import { decodeSll, decodeSll2 } from './sll';

/** Pick the link-layer analyzer by libpcap LINKTYPE_* value. */
export function decodeLink(p: DecodedPacket, d: Uint8Array, end: number, linkType: number): void {
  switch (linkType) {
    case 1:
      decodeEthernet(p, d, 0, end);
      return;
    case 113:
      decodeSll(p, d, 0, end);
      return;
    case 276:
      decodeSll2(p, d, 0, end);
      return;
    case 101:
    case 12:
    case 14:
      decodeRawIp(p, d, 0, end);
      return;
    case 228:
      decodeEtherType(p, d, 0, end, ETHERTYPE_IPV4);
      return;
    case 229:
      decodeEtherType(p, d, 0, end, ETHERTYPE_IPV6);
      return;
    case 0:
      decodeNullLoopback(p, d, 0, end);
      return;
    case 108:
      decodeLoop(p, d, 0, end);
      return;
    default:
      flag(p, 'unknown_link_type');
  }
}
