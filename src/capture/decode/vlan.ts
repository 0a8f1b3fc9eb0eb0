import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType } from './ethertype';
import { flag } from './new-packet';

/**
 * One 802.1Q / 802.1ad tag (TCI + inner ethertype). Stacked tags (QinQ) recurse through
 * decodeEtherType; the outer tag's VLAN id is the one kept.
 */
export function decodeVlanTag(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 4 > end) {
    flag(p, 'truncated_vlan');
    return;
  }
  p.vlanCount++;
  if (p.vlanId < 0) p.vlanId = ((d[off] << 8) | d[off + 1]) & 0x0fff;
  decodeEtherType(p, d, off + 4, end, (d[off + 2] << 8) | d[off + 3]);
}
