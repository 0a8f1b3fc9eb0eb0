import { ipv4Number } from '../capture/decode/addr-format';
import type { DecodedPacket, DnsInfo } from '../capture/decode/decoded-packet';
import { newDecodedPacket } from '../capture/decode/new-packet';

/**
 * Builds DecodedPacket records directly (no bytes) with every field consistent with the headers
 * they describe: lengths add up, flags match the protocol, absent fields are -1/null exactly
 * as the decoder leaves them. Used by the anomaly injector.
 */
export interface PacketBase {
  ts: number;
  tsDigits: number;
  source: string;
  srcMac: string | null;
  dstMac: string | null;
}

const ETH = 14;

function setTime(p: DecodedPacket, ts: number): void {
  const sec = Math.floor(ts);
  let ns = Math.round((ts - sec) * 1e9);
  if (ns > 999_999_999) ns = 999_999_999;
  p.tsSec = sec;
  p.tsNsec = ns;
  p.ts = sec + ns / 1e9;
}

/** Move a packet in time, keeping ts/tsSec/tsNsec in agreement. */
export function retime(p: DecodedPacket, ts: number): void {
  setTime(p, ts);
}

const NO_BYTES = new Uint8Array(0);

function blank(b: PacketBase): DecodedPacket {
  // The decoder's own constructor: same fields, same hidden class as decoded packets.
  const p = newDecodedPacket({
    frame: 0, tsSec: 0, tsNsec: 0, tsDigits: b.tsDigits, capLen: 0, origLen: 0, linkType: b.srcMac === null ? 101 : 1,
    interfaceId: 0, data: NO_BYTES, source: b.source,
  });
  p.srcMac = b.srcMac;
  p.dstMac = b.dstMac;
  setTime(p, b.ts);
  return p;
}

function linkLen(p: DecodedPacket): number {
  return p.linkType === 1 ? ETH : 0;
}

/** Frame length for an IP packet; Ethernet frames are padded to the 60-byte minimum. */
function setLengths(p: DecodedPacket, ipTotal: number): void {
  p.ipTotalLen = ipTotal;
  const l = linkLen(p);
  const frame = l + ipTotal;
  p.capLen = l > 0 ? Math.max(60, frame) : frame;
  p.origLen = p.capLen;
}

function ip(b: PacketBase, srcIp: string, dstIp: string, proto: number, ttl: number): DecodedPacket {
  const p = blank(b);
  const v6 = srcIp.includes(':');
  p.l3 = v6 ? 'ipv6' : 'ipv4';
  p.etherType = p.linkType === 1 ? (v6 ? 0x86dd : 0x0800) : -1;
  p.srcIp = srcIp;
  p.dstIp = dstIp;
  p.srcIpv4 = ipv4Number(srcIp);
  p.dstIpv4 = ipv4Number(dstIp);
  p.ipProto = proto;
  p.ttl = ttl;
  p.ipHeaderLen = v6 ? 40 : 20;
  p.ipOptionsLen = 0;
  p.ipDf = !v6 && proto === 6;
  p.fragOffset = 0;
  return p;
}

export function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}

export function tcpPacket(b: PacketBase, srcIp: string, dstIp: string, ttl: number, sport: number, dport: number,
  flags: number, seq: number, ack: number, win: number, payloadLen: number, optionsLen = 0): DecodedPacket {
  const p = ip(b, srcIp, dstIp, 6, ttl);
  p.srcPort = sport;
  p.dstPort = dport;
  p.tcpFlags = flags;
  p.tcpSeq = seq >>> 0;
  p.tcpAck = ack >>> 0;
  p.tcpWindow = win;
  p.tcpOptionsLen = optionsLen;
  p.tcpHeaderLen = 20 + optionsLen;
  p.payloadLen = payloadLen;
  p.payloadOffset = payloadLen > 0 ? linkLen(p) + p.ipHeaderLen + p.tcpHeaderLen : -1;
  setLengths(p, p.ipHeaderLen + p.tcpHeaderLen + payloadLen);
  if (isDnsPort(sport) || isDnsPort(dport)) p.dns = payloadLen >= 2 ? notDns() : null; // as the decoder: DNS over TCP needs its 2-byte length prefix
  return p;
}

export function udpPacket(b: PacketBase, srcIp: string, dstIp: string, ttl: number, sport: number, dport: number, payloadLen: number, dns: DnsInfo | null = null): DecodedPacket {
  const p = ip(b, srcIp, dstIp, 17, ttl);
  p.srcPort = sport;
  p.dstPort = dport;
  p.payloadLen = payloadLen;
  p.payloadOffset = payloadLen > 0 ? linkLen(p) + p.ipHeaderLen + 8 : -1;
  setLengths(p, p.ipHeaderLen + 8 + payloadLen);
  if (isDnsPort(sport) || isDnsPort(dport)) p.dns = dns ?? notDns();
  return p;
}

export function icmpPacket(b: PacketBase, srcIp: string, dstIp: string, ttl: number, type: number, code: number, dataLen: number): DecodedPacket {
  const v6 = srcIp.includes(':');
  const p = ip(b, srcIp, dstIp, v6 ? 58 : 1, ttl);
  p.icmpType = type;
  p.icmpCode = code;
  p.payloadLen = dataLen;
  p.payloadOffset = dataLen > 0 ? linkLen(p) + p.ipHeaderLen + 8 : -1;
  setLengths(p, p.ipHeaderLen + 8 + dataLen);
  return p;
}

/**
 * A later IPv4 fragment (offset > 0): the decoder reads no transport header there, so ports,
 * flags and payload stay absent; `more` is the MF flag, `dataLen` the bytes after the IP header.
 */
export function ipv4Fragment(b: PacketBase, srcIp: string, dstIp: string, proto: number, ttl: number, offset: number, more: boolean, dataLen: number): DecodedPacket {
  const p = ip(b, srcIp, dstIp, proto, ttl);
  p.ipDf = false;
  p.ipMf = more;
  p.fragOffset = offset;
  setLengths(p, p.ipHeaderLen + dataLen);
  return p;
}

/** Marks a UDP or ICMP packet built above as the first fragment of a larger datagram (MF set). */
export function asFirstFragment(p: DecodedPacket): DecodedPacket {
  p.ipDf = false;
  p.ipMf = true;
  return p;
}

export function arpPacket(b: PacketBase, op: number, senderMac: string, senderIp: string, targetIp: string): DecodedPacket {
  const p = blank(b);
  p.l3 = 'arp';
  p.etherType = 0x0806;
  p.arpOp = op;
  p.arpSenderMac = senderMac;
  p.arpSenderIp = senderIp;
  p.arpTargetIp = targetIp;
  p.arpSenderIpv4 = ipv4Number(senderIp);
  p.arpTargetIpv4 = ipv4Number(targetIp);
  p.capLen = 60;
  p.origLen = 60;
  return p;
}

/** DNS info for a payload that is not a DNS message (a shell on port 53, say). */
export function notDns(): DnsInfo {
  return { valid: false, id: -1, isResponse: false, opcode: -1, rcode: -1, qdCount: -1, anCount: -1, qname: '', qtype: -1 };
}

/** DNS payload length of a one-question message (+ answer bytes for a response). */
export function dnsMessageLen(qname: string, answerBytes: number): number {
  return 12 + qname.length + 2 + 4 + answerBytes;
}

export function dnsInfo(id: number, isResponse: boolean, qname: string, qtype: number, anCount: number): DnsInfo {
  return { valid: true, id, isResponse, opcode: 0, rcode: 0, qdCount: 1, anCount, qname, qtype };
}

/** Change a packet's transport payload length, keeping IP and frame lengths consistent. */
export function resizePayload(p: DecodedPacket, payloadLen: number): void {
  if (p.payloadLen < 0 || p.ipTotalLen < 0) return;
  const delta = payloadLen - p.payloadLen;
  // Keep the packet's own link overhead (VLAN tags, PPPoE, SLL ...); only an Ethernet frame
  // padded to 60 bytes needs its unpadded length recomputed.
  const padded = p.linkType === 1 && p.origLen === 60;
  const unpadded = padded ? ETH + 4 * p.vlanCount + p.ipTotalLen : p.origLen;
  const capCut = p.origLen - p.capLen;
  p.ipTotalLen += delta;
  p.payloadLen = payloadLen;
  p.origLen = Math.max(p.linkType === 1 ? 60 : 0, unpadded + delta);
  p.capLen = Math.max(0, p.origLen - capCut);
  if (payloadLen > 0 && p.payloadOffset < 0) p.payloadOffset = unpadded - p.ipTotalLen + delta + p.ipHeaderLen + (p.tcpHeaderLen > 0 ? p.tcpHeaderLen : 8);
}
