import type { DecodedPacket } from './decoded-packet';
import { decodeLlc } from './ethertype';
import { flag } from './new-packet';

/**
 * Ethertype 0x2452: Intel Centrino adapters in promiscuous mode hand over 802.11 data frames
 * (already decrypted, WEP/TKIP IV still present) inside an Ethernet header. Only data frames
 * carry IP; the LLC/SNAP header after the 802.11 header names the ethertype.
 */
export function decodeWlanCentrino(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 24 > end) {
    flag(p, 'truncated_link');
    return;
  }
  const fc0 = d[off];
  const fc1 = d[off + 1];
  const frameType = (fc0 >> 2) & 3;
  if (frameType !== 2) {
    p.l3 = 'other'; // management / control frames
    return;
  }
  let hdr = 24;
  if ((fc1 & 0x03) === 0x03) hdr += 6; // ToDS + FromDS: a fourth address
  if ((fc0 & 0x80) !== 0) hdr += 2; // QoS data subtypes carry a QoS control field
  if ((fc1 & 0x40) !== 0) {
    // Protected: 4-byte WEP IV, or 8 bytes when the Ext IV bit (TKIP/CCMP) is set.
    if (off + hdr + 4 > end) {
      flag(p, 'truncated_link');
      return;
    }
    hdr += (d[off + hdr + 3] & 0x20) !== 0 ? 8 : 4;
  }
  decodeLlc(p, d, off + hdr, end);
}
