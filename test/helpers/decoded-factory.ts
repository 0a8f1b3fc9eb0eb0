import type { DecodedPacket, DnsInfo } from '../../src/capture/decode/decoded-packet';
import { newDecodedPacket } from '../../src/capture/decode/new-packet';

/**
 * A plausible DecodedPacket (a TCP SYN 10.0.0.1:40000 → 10.0.0.2:80 on Ethernet) with
 * overrides, for unit tests that must not depend on the decoder. Built on the decoder's own
 * newDecodedPacket, so a field added there is present here too.
 */
export function makeDecoded(over: Partial<DecodedPacket> = {}): DecodedPacket {
  const tsSec = over.tsSec ?? 1_700_000_000;
  const tsNsec = over.tsNsec ?? 0;
  const absent = newDecodedPacket({
    frame: 1, tsSec, tsNsec, tsDigits: 6, capLen: 74, origLen: 74, linkType: 1, interfaceId: 0, data: new Uint8Array(0), source: 'test',
  });
  return {
    ...absent,
    srcMac: '02:00:00:00:00:01',
    dstMac: '02:00:00:00:00:02',
    etherType: 0x0800,
    l3: 'ipv4',
    srcIp: '10.0.0.1',
    dstIp: '10.0.0.2',
    ipProto: 6,
    ttl: 64,
    ipTotalLen: 60,
    ipHeaderLen: 20,
    ipOptionsLen: 0,
    ipDf: true,
    fragOffset: 0,
    srcPort: 40000,
    dstPort: 80,
    tcpFlags: 0x02,
    tcpWindow: 64240,
    tcpHeaderLen: 40,
    tcpOptionsLen: 20,
    tcpSeq: 1,
    tcpAck: 0,
    payloadLen: 0,
    ...over,
  };
}

export function makeDns(over: Partial<DnsInfo> = {}): DnsInfo {
  return { valid: true, id: 1, isResponse: false, opcode: 0, rcode: 0, qdCount: 1, anCount: 0, qname: 'www.example.com', qtype: 1, ...over };
}

/** A UDP packet src:sport → dst:dport with `payload` bytes at time ts. */
export function makeUdp(src: string, sport: number, dst: string, dport: number, payload: number, ts: number, over: Partial<DecodedPacket> = {}): DecodedPacket {
  return makeDecoded({
    ts, tsSec: Math.floor(ts), tsNsec: Math.round((ts % 1) * 1e9), srcIp: src, dstIp: dst, srcPort: sport, dstPort: dport,
    ipProto: 17, tcpFlags: -1, tcpWindow: -1, tcpHeaderLen: -1, tcpOptionsLen: -1, tcpSeq: -1, tcpAck: -1,
    payloadLen: payload, payloadOffset: payload > 0 ? 42 : -1, ipTotalLen: 28 + payload, origLen: 42 + payload, capLen: 42 + payload, ipDf: false,
    ...over,
  });
}
