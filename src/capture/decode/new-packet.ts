import type { RawPacket } from '../raw-packet';
import type { DecodedPacket, DecodeErrorCode } from './decoded-packet';

/**
 * A DecodedPacket with every field present and "absent" (-1 / null) values. Built by one
 * object literal so every packet shares one hidden class (monomorphic reads downstream).
 */
export function newDecodedPacket(raw: RawPacket): DecodedPacket {
  return {
    frame: raw.frame,
    tsSec: raw.tsSec,
    tsNsec: raw.tsNsec,
    tsDigits: raw.tsDigits,
    ts: raw.tsSec + raw.tsNsec / 1e9,
    linkType: raw.linkType,
    interfaceId: raw.interfaceId,
    source: raw.source,
    capLen: raw.capLen,
    origLen: raw.origLen,
    srcMac: null,
    dstMac: null,
    vlanCount: 0,
    vlanId: -1,
    etherType: -1,
    l3: 'none',
    srcIp: null,
    dstIp: null,
    srcIpv4: -1,
    dstIpv4: -1,
    ipProto: -1,
    ttl: -1,
    ipTotalLen: -1,
    ipHeaderLen: -1,
    ipOptionsLen: -1,
    ipDf: false,
    ipMf: false,
    fragOffset: -1,
    ipv6ExtCount: 0,
    srcPort: -1,
    dstPort: -1,
    tcpFlags: -1,
    tcpWindow: -1,
    tcpHeaderLen: -1,
    tcpOptionsLen: -1,
    tcpSeq: -1,
    tcpAck: -1,
    icmpType: -1,
    icmpCode: -1,
    arpOp: -1,
    arpSenderIp: null,
    arpTargetIp: null,
    arpSenderIpv4: -1,
    arpTargetIpv4: -1,
    arpSenderMac: null,
    payloadLen: -1,
    payloadOffset: -1,
    dns: null,
    error: null,
  };
}

/**
 * `p` made what newDecodedPacket(raw) returns, in place: every field assigned (the absent values
 * too), so nothing of the packet it held before is left. For a hot path that decodes one packet
 * at a time and keeps nothing of it (the scoring pipeline): a new object per packet was ~30% of
 * the bytes replay's main thread allocated. A test holds it to newDecodedPacket field by field.
 */
export function resetDecodedPacket(p: DecodedPacket, raw: RawPacket): DecodedPacket {
  p.frame = raw.frame;
  p.tsSec = raw.tsSec;
  p.tsNsec = raw.tsNsec;
  p.tsDigits = raw.tsDigits;
  p.ts = raw.tsSec + raw.tsNsec / 1e9;
  p.linkType = raw.linkType;
  p.interfaceId = raw.interfaceId;
  p.source = raw.source;
  p.capLen = raw.capLen;
  p.origLen = raw.origLen;
  p.srcMac = null;
  p.dstMac = null;
  p.vlanCount = 0;
  p.vlanId = -1;
  p.etherType = -1;
  p.l3 = 'none';
  p.srcIp = null;
  p.dstIp = null;
  p.srcIpv4 = -1;
  p.dstIpv4 = -1;
  p.ipProto = -1;
  p.ttl = -1;
  p.ipTotalLen = -1;
  p.ipHeaderLen = -1;
  p.ipOptionsLen = -1;
  p.ipDf = false;
  p.ipMf = false;
  p.fragOffset = -1;
  p.ipv6ExtCount = 0;
  p.srcPort = -1;
  p.dstPort = -1;
  p.tcpFlags = -1;
  p.tcpWindow = -1;
  p.tcpHeaderLen = -1;
  p.tcpOptionsLen = -1;
  p.tcpSeq = -1;
  p.tcpAck = -1;
  p.icmpType = -1;
  p.icmpCode = -1;
  p.arpOp = -1;
  p.arpSenderIp = null;
  p.arpTargetIp = null;
  p.arpSenderIpv4 = -1;
  p.arpTargetIpv4 = -1;
  p.arpSenderMac = null;
  p.payloadLen = -1;
  p.payloadOffset = -1;
  p.dns = null;
  p.error = null;
  return p;
}

/**
 * Settle the packets' hidden class before any packet is decoded. Fields start at -1, and some
 * later hold numbers V8 cannot keep as small integers: frame numbers read back from a
 * Float64Array (pending-packets decodes anomaly rows again), IPv4 addresses and TCP sequence
 * numbers of 2^30 and more. The first such value changes the field's representation, which
 * deprecates the class every decoded packet shares and discards the optimized code of the
 * functions that had it ("wrong map" deopts, seen in --trace-deopt). Happening mid-run, it left
 * resetDecodedPacket unoptimized for the rest of some replays: 7-9% of the main thread, against
 * 1-2% in the others (profiles of 5 runs). One packet holding such numbers at load makes the
 * class final before any code is optimized: no deopt of decodeInto or the reset in 5 runs.
 */
function settleShape(): void {
  const big = 2 ** 40;
  const p = newDecodedPacket({ frame: big, tsSec: big, tsNsec: 0, tsDigits: 6, capLen: 0, origLen: 0, linkType: 1, interfaceId: 0, data: new Uint8Array(0), source: '' });
  p.srcIpv4 = p.dstIpv4 = p.arpSenderIpv4 = p.arpTargetIpv4 = big;
  p.tcpSeq = p.tcpAck = big;
}
settleShape();

/** Record a decode problem; the first one wins (later ones are usually consequences). */
export function flag(p: DecodedPacket, code: DecodeErrorCode): void {
  if (p.error === null) p.error = code;
}

/** Big-endian unsigned 16-bit read (caller checked the length). */
export function u16(d: Uint8Array, off: number): number {
  return (d[off] << 8) | d[off + 1];
}

/** Big-endian unsigned 32-bit read as a non-negative JS number. */
export function u32(d: Uint8Array, off: number): number {
  return d[off] * 0x1000000 + ((d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]);
}
