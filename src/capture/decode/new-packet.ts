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
