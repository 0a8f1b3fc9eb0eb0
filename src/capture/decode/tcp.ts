import type { DecodedPacket } from './decoded-packet';
import { decodeDnsOverTcp } from './dns';
import { flag, u16, u32 } from './new-packet';
import { isDnsPort } from './transport';

/** TCP header; payloadLen comes from the IP length so snaplen-cut captures keep it. */
export function decodeTcp(p: DecodedPacket, d: Uint8Array, off: number, capEnd: number, declaredEnd: number): void {
  if (off + 20 > capEnd) {
    if (off + 4 <= capEnd) {
      p.srcPort = u16(d, off);
      p.dstPort = u16(d, off + 2);
    }
    flag(p, off + 20 > declaredEnd ? 'bad_tcp_offset' : 'truncated_tcp');
    return;
  }
  p.srcPort = u16(d, off);
  p.dstPort = u16(d, off + 2);
  p.tcpSeq = u32(d, off + 4);
  p.tcpAck = u32(d, off + 8);
  const headerLen = (d[off + 12] >> 4) * 4;
  p.tcpFlags = d[off + 13];
  p.tcpWindow = u16(d, off + 14);
  p.tcpHeaderLen = headerLen;
  if (headerLen < 20 || off + headerLen > declaredEnd) {
    flag(p, 'bad_tcp_offset');
    return;
  }
  p.tcpOptionsLen = headerLen - 20;
  const payloadStart = off + headerLen;
  p.payloadLen = declaredEnd - payloadStart;
  if (payloadStart > capEnd) {
    flag(p, 'truncated_tcp'); // options cut by the capture
    return;
  }
  if (p.payloadLen > 0 && payloadStart < capEnd) p.payloadOffset = payloadStart;
  if (isDnsPort(p.srcPort) || isDnsPort(p.dstPort)) {
    p.dns = decodeDnsOverTcp(d, payloadStart, capEnd, p.payloadLen);
  }
}
