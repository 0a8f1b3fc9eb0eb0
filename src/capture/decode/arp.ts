import { formatIpv4, formatMac } from './addr-format';
import type { DecodedPacket } from './decoded-packet';
import { flag, u16, u32 } from './new-packet';

/** ARP. Addresses are kept only for the Ethernet/IPv4 form (hlen 6, plen 4), the one in use. */
export function decodeArp(p: DecodedPacket, d: Uint8Array, off: number, end: number): void {
  p.l3 = 'arp';
  if (off + 8 > end) {
    flag(p, 'truncated_arp');
    return;
  }
  p.arpOp = u16(d, off + 6);
  const hwLen = d[off + 4];
  const protoLen = d[off + 5];
  if (u16(d, off + 2) !== 0x0800 || hwLen !== 6 || protoLen !== 4) return;
  if (off + 28 > end) {
    flag(p, 'truncated_arp');
    return;
  }
  p.arpSenderMac = formatMac(d, off + 8);
  p.arpSenderIp = formatIpv4(d, off + 14);
  p.arpTargetIp = formatIpv4(d, off + 24);
  p.arpSenderIpv4 = u32(d, off + 14);
  p.arpTargetIpv4 = u32(d, off + 24);
}
