import { formatMac } from './addr-format';
import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType } from './ethertype';
import { flag, u16 } from './new-packet';

const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const ARPHRD_NETLINK = 824;

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16-byte header, protocol last. */
export function decodeSll(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 16 > end) {
    flag(p, 'truncated_link');
    return;
  }
  const haType = u16(d, off + 2);
  const haLen = u16(d, off + 4);
  decodeCooked(p, d, off + 16, end, haType, haLen, off + 6, u16(d, off + 14));
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20-byte header, protocol first. */
export function decodeSll2(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 20 > end) {
    flag(p, 'truncated_link');
    return;
  }
  const haType = u16(d, off + 8);
  const haLen = d[off + 11];
  decodeCooked(p, d, off + 20, end, haType, haLen, off + 12, u16(d, off + 0));
}

/**
 * Shared tail of SLL and SLL2: the link-layer address is the *sender's* (there is no
 * destination), and protocol values below 0x0600 are Linux pseudo-types (802.2, Novell …).
 */
function decodeCooked(
  p: DecodedPacket, d: Uint8Array, off: number, end: number,
  haType: number, haLen: number, addrOff: number, protocol: number,
): void {
  if ((haType === ARPHRD_ETHER || haType === ARPHRD_LOOPBACK) && haLen === 6) p.srcMac = formatMac(d, addrOff);
  if (haType === ARPHRD_NETLINK || protocol < 0x0600) {
    p.l3 = 'other';
    return;
  }
  decodeEtherType(p, d, off, end, protocol);
}
