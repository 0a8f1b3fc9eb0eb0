import type { DecodedPacket } from './decoded-packet';
import { parseDnsMessage } from './dns';
import { flag, u16 } from './new-packet';
import { isDnsPort } from './transport';

/** UDP header; the UDP length must agree with the IP length (except in a first fragment). */
export function decodeUdp(p: DecodedPacket, d: Uint8Array, off: number, capEnd: number, declaredEnd: number): void {
  if (off + 8 > capEnd) {
    if (off + 4 <= capEnd) {
      p.srcPort = u16(d, off);
      p.dstPort = u16(d, off + 2);
    }
    flag(p, off + 8 > declaredEnd ? 'bad_udp_length' : 'truncated_udp');
    return;
  }
  p.srcPort = u16(d, off);
  p.dstPort = u16(d, off + 2);
  const udpLen = u16(d, off + 4);
  const ipPayload = declaredEnd - off;
  let len = udpLen;
  // A first fragment (MF set) legitimately carries less than the UDP length says.
  if (udpLen < 8 || (udpLen > ipPayload && !p.ipMf)) {
    flag(p, 'bad_udp_length');
    len = udpLen < 8 ? ipPayload : Math.min(udpLen, ipPayload);
  } else if (udpLen > ipPayload) {
    len = ipPayload;
  }
  p.payloadLen = len - 8;
  const payloadStart = off + 8;
  const payloadEnd = Math.min(capEnd, off + len);
  if (p.payloadLen > 0 && payloadStart < payloadEnd) p.payloadOffset = payloadStart;
  if (isDnsPort(p.srcPort) || isDnsPort(p.dstPort)) {
    p.dns = parseDnsMessage(d, payloadStart, payloadEnd, p.payloadLen);
  }
}
