import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { formatIso } from '../capture/format-timestamp';
import { communityId } from './community-id';
import type { AnomalyKey } from './incident-tracker';
import type { AnomalyRecord, ProtocolName } from './records';

/** The protocol name written in the outputs ('IPv6' = IPv6 carrying something else). */
export function protocolName(p: DecodedPacket): ProtocolName {
  if (p.l3 === 'arp') return 'ARP';
  if (p.l3 !== 'ipv4' && p.l3 !== 'ipv6') return 'other';
  switch (p.ipProto) {
    case 6:
      return 'TCP';
    case 17:
      return 'UDP';
    case 1:
      return 'ICMP';
    case 58:
      return 'ICMPv6';
    default:
      return p.l3 === 'ipv6' ? 'IPv6' : 'other';
  }
}

/** ISO-8601 UTC with microseconds from epoch seconds as a float. */
export function isoFromEpoch(ts: number): string {
  let sec = Math.floor(ts);
  let us = Math.round((ts - sec) * 1e6);
  if (us >= 1_000_000) {
    sec += 1;
    us -= 1_000_000;
  }
  return formatIso(sec, us * 1000);
}

export interface ScoreContext {
  runId: number;
  score: number;
  threshold: number;
  attentionFrame: number;
  incidentId: number;
  topFeatures: string;
}

/** What the IncidentTracker places an anomalous packet by (cheap: no string is built). */
export function anomalyKey(p: DecodedPacket, runId: number, score: number, attentionFrame: number): AnomalyKey {
  return {
    runId, frame: p.frame, ts: p.ts, srcMac: p.srcMac, dstMac: p.dstMac, srcIp: p.srcIp ?? p.arpSenderIp, dstIp: p.dstIp ?? p.arpTargetIp,
    srcPort: p.srcPort >= 0 ? p.srcPort : null, dstPort: p.dstPort >= 0 ? p.dstPort : null, score, attentionFrame,
  };
}

/** The anomaly row for a decoded packet (only for rows that get written: it hashes and formats). */
export function anomalyFromPacket(p: DecodedPacket, s: ScoreContext): AnomalyRecord {
  const isIcmp = p.ipProto === 1 || p.ipProto === 58;
  const srcPort = p.srcPort >= 0 ? p.srcPort : null;
  const dstPort = p.dstPort >= 0 ? p.dstPort : null;
  let cid: string | null = null;
  if (p.srcIp !== null && p.dstIp !== null && (p.l3 === 'ipv4' || p.l3 === 'ipv6')) {
    cid = isIcmp
      ? communityId(p.ipProto, p.srcIp, p.dstIp, p.icmpType >= 0 ? p.icmpType : null, p.icmpCode >= 0 ? p.icmpCode : null)
      : communityId(p.ipProto, p.srcIp, p.dstIp, srcPort, dstPort);
  }
  return {
    runId: s.runId,
    frame: p.frame,
    ts: p.ts,
    tsIso: formatIso(p.tsSec, p.tsNsec),
    source: p.source,
    interfaceId: p.interfaceId,
    srcMac: p.srcMac,
    dstMac: p.dstMac,
    srcIp: p.srcIp ?? p.arpSenderIp,
    dstIp: p.dstIp ?? p.arpTargetIp,
    srcPort,
    dstPort,
    protocol: protocolName(p),
    length: p.origLen,
    score: s.score,
    threshold: s.threshold,
    incidentId: s.incidentId,
    attentionFrame: s.attentionFrame,
    topFeatures: s.topFeatures,
    communityId: cid,
  };
}
