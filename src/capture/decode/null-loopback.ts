import type { DecodedPacket } from './decoded-packet';
import { decodeEtherType, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype';
import { flag } from './new-packet';

/**
 * BSD loopback: a 4-byte address family. NULL (0) writes it in the *capturing host's* byte
 * order, LOOP (108) in network order. AF_INET is 2 everywhere; AF_INET6 differs by OS:
 * 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
 */
function decodeAddressFamily(p: DecodedPacket, d: Uint8Array, off: number, end: number, af: number): void {
  switch (af) {
    case 2:
      decodeEtherType(p, d, off + 4, end, ETHERTYPE_IPV4);
      return;
    case 24:
    case 28:
    case 30:
      decodeEtherType(p, d, off + 4, end, ETHERTYPE_IPV6);
      return;
    default:
      p.l3 = 'other';
  }
}

export function decodeNullLoopback(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 4 > end) {
    flag(p, 'truncated_link');
    return;
  }
  // Read as little-endian; every real AF value is < 65536, so high bits set mean the
  // writer was big-endian (the same test libpcap and Wireshark use).
  let af = (d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24)) >>> 0;
  if ((af & 0xffff0000) !== 0) af = ((d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]) >>> 0;
  decodeAddressFamily(p, d, off, end, af);
}

export function decodeLoop(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 4 > end) {
    flag(p, 'truncated_link');
    return;
  }
  const af = ((d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]) >>> 0;
  decodeAddressFamily(p, d, off, end, af);
}
