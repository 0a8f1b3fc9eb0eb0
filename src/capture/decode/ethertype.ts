import type { DecodedPacket } from './decoded-packet';
import { decodeArp } from './arp';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { decodePppoeSession } from './pppoe';
import { decodeVlanTag } from './vlan';
import { decodeWlanCentrino } from './wlan-centrino';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Intel Centrino promiscuous mode: an 802.11 data frame inside Ethernet (dns-remoteshell.pcap). */
export const ETHERTYPE_WLAN_CENTRINO = 0x2452;

/**
 * Hand the bytes at `off` to the analyzer for `type`. Every link layer (Ethernet, SLL,
 * loopback, raw IP) ends here so the network layer is decoded one way only.
 */
export function decodeEtherType(p: DecodedPacket, d: Uint8Array, off: number, end: number, type: number): void {
  p.etherType = type;
  switch (type) {
    case ETHERTYPE_IPV4:
      decodeIpv4(p, d, off, end);
      return;
    case ETHERTYPE_IPV6:
      decodeIpv6(p, d, off, end);
      return;
    case ETHERTYPE_ARP:
      decodeArp(p, d, off, end);
      return;
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
    case ETHERTYPE_QINQ_OLD:
      decodeVlanTag(p, d, off, end);
      return;
    case ETHERTYPE_PPPOE_SESSION:
      decodePppoeSession(p, d, off, end);
      return;
    case ETHERTYPE_WLAN_CENTRINO:
      decodeWlanCentrino(p, d, off, end);
      return;
    default:
      p.l3 = 'other';
  }
}

/**
 * 802.2 LLC with a SNAP header (AA AA 03, OUI 00 00 00) carries an ethertype; anything else
 * behind an LLC header is a non-IP protocol (STP, NetBIOS, IPX …).
 */
export function decodeLlc(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  if (off + 8 <= end && d[off] === 0xaa && d[off + 1] === 0xaa && d[off + 2] === 0x03 &&
      d[off + 3] === 0 && d[off + 4] === 0 && d[off + 5] === 0) {
    decodeEtherType(p, d, off + 8, end, (d[off + 6] << 8) | d[off + 7]);
    return;
  }
  p.l3 = 'other';
}
