import type { AnomalyRow, IncidentRow, RunRow } from './alert-source';

/**
 * Database rows (snake_case, as both schemas name them) → the pages' rows. One mapper for both
 * sources: PostgreSQL hands bigint columns over as strings, SQLite as numbers; Number() takes both.
 */
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function runRow(r: Record<string, unknown>, sensor: string): RunRow {
  return {
    sensor, id: num(r.id), startedAt: String(r.started_at), finishedAt: strOrNull(r.finished_at), mode: String(r.mode), sources: String(r.sources),
    modelId: String(r.model_id), modelSha256: String(r.model_sha256 ?? ''), threshold: num(r.threshold), packets: num(r.packets), windows: num(r.windows),
    anomalies: num(r.anomalies), incidents: num(r.incidents), suppressed: num(r.suppressed), status: String(r.status),
    pcapReceived: numOrNull(r.pcap_received), pcapDropped: numOrNull(r.pcap_dropped), pcapIfdropped: numOrNull(r.pcap_ifdropped), queueDropped: numOrNull(r.queue_dropped),
    // undefined (a file or database older than these columns) reads as null: nothing recorded.
    windowsShed: numOrNull(r.windows_shed), packetsShed: numOrNull(r.packets_shed), shedSeconds: numOrNull(r.shed_seconds), shedMaxLevel: numOrNull(r.shed_max_level),
  };
}

export function incidentRow(r: Record<string, unknown>, sensor: string): IncidentRow {
  return {
    sensor, runId: num(r.run_id), id: num(r.id), firstFrame: num(r.first_frame), lastFrame: num(r.last_frame),
    startTs: num(r.start_ts), startIso: String(r.start_iso), endTs: num(r.end_ts), endIso: String(r.end_iso),
    mainSource: strOrNull(r.main_source), mainTarget: strOrNull(r.main_target), sources: num(r.sources), targets: num(r.targets),
    hosts: String(r.hosts), ports: String(r.ports), packets: num(r.packets), anomalies: num(r.anomalies), suppressed: num(r.suppressed),
    maxScore: num(r.max_score), attentionFrame: numOrNull(r.attention_frame), topFeatures: String(r.top_features ?? ''), provisional: num(r.provisional ?? 0) === 1,
  };
}

export function anomalyRow(r: Record<string, unknown>): AnomalyRow {
  return {
    id: num(r.id), frame: num(r.frame), ts: num(r.ts), tsIso: String(r.ts_iso), source: String(r.source),
    srcMac: strOrNull(r.src_mac), dstMac: strOrNull(r.dst_mac), srcIp: strOrNull(r.src_ip), dstIp: strOrNull(r.dst_ip),
    srcPort: numOrNull(r.src_port), dstPort: numOrNull(r.dst_port), protocol: String(r.protocol), length: num(r.length),
    score: num(r.score), threshold: num(r.threshold), attentionFrame: numOrNull(r.attention_frame), topFeatures: String(r.top_features ?? ''),
    communityId: strOrNull(r.community_id), provisional: num(r.provisional ?? 0) === 1,
  };
}
