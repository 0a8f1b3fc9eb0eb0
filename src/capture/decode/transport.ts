import type { DecodedPacket } from './decoded-packet';
import { decodeIcmp } from './icmp';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/**
 * Hand the IP payload to its transport analyzer. `capEnd` is where captured bytes of this
 * datagram stop; `declaredEnd` is where the IP header says it stops (may be beyond capEnd).
 */
export function decodeTransport(p: DecodedPacket, d: Uint8Array, off: number, capEnd: number, declaredEnd: number): void {
  switch (p.ipProto) {
    case IPPROTO_TCP:
      decodeTcp(p, d, off, capEnd, declaredEnd);
      return;
    case IPPROTO_UDP:
      decodeUdp(p, d, off, capEnd, declaredEnd);
      return;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      decodeIcmp(p, d, off, capEnd, declaredEnd);
      return;
    default:
      return; // GRE, ESP, IGMP, SCTP …: counted by ipProto, not decoded further
  }
}

/** Ports on which a payload is parsed as DNS (DNS, mDNS, LLMNR). */
export function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}
