import type { AnomalyRecord, IncidentRecord, RunRecord } from './records';

/**
 * External (snake_case) names of record fields, shared by the CSV header, the JSON-lines keys
 * and the SQLite columns, so one query vocabulary works on all three outputs.
 */
export const ANOMALY_COLUMNS: ReadonlyArray<readonly [string, keyof AnomalyRecord]> = [
  ['run_id', 'runId'],
  ['frame', 'frame'],
  ['ts', 'ts'],
  ['ts_iso', 'tsIso'],
  ['source', 'source'],
  ['interface_id', 'interfaceId'],
  ['src_mac', 'srcMac'],
  ['dst_mac', 'dstMac'],
  ['src_ip', 'srcIp'],
  ['dst_ip', 'dstIp'],
  ['src_port', 'srcPort'],
  ['dst_port', 'dstPort'],
  ['protocol', 'protocol'],
  ['length', 'length'],
  ['score', 'score'],
  ['threshold', 'threshold'],
  ['incident_id', 'incidentId'],
  ['attention_frame', 'attentionFrame'],
  ['top_features', 'topFeatures'],
  ['community_id', 'communityId'],
];

export const INCIDENT_COLUMNS: ReadonlyArray<readonly [string, keyof IncidentRecord]> = [
  ['run_id', 'runId'],
  ['id', 'id'],
  ['first_frame', 'firstFrame'],
  ['last_frame', 'lastFrame'],
  ['start_ts', 'startTs'],
  ['end_ts', 'endTs'],
  ['main_source', 'mainSource'],
  ['main_target', 'mainTarget'],
  ['sources', 'sources'],
  ['targets', 'targets'],
  ['hosts', 'hosts'],
  ['ports', 'ports'],
  ['packets', 'packets'],
  ['anomalies', 'anomalies'],
  ['suppressed', 'suppressed'],
  ['max_score', 'maxScore'],
  ['attention_frame', 'attentionFrame'],
  ['top_features', 'topFeatures'],
];

export const RUN_COLUMNS: ReadonlyArray<readonly [string, keyof RunRecord]> = [
  ['id', 'id'],
  ['started_at', 'startedAt'],
  ['finished_at', 'finishedAt'],
  ['mode', 'mode'],
  ['sources', 'sources'],
  ['model_id', 'modelId'],
  ['model_sha256', 'modelSha256'],
  ['threshold', 'threshold'],
  ['packets', 'packets'],
  ['windows', 'windows'],
  ['anomalies', 'anomalies'],
  ['incidents', 'incidents'],
  ['suppressed', 'suppressed'],
  ['status', 'status'],
  ['pcap_received', 'pcapReceived'],
  ['pcap_dropped', 'pcapDropped'],
  ['pcap_ifdropped', 'pcapIfDropped'],
  ['queue_dropped', 'queueDropped'],
  ['windows_shed', 'windowsShed'],
  ['packets_shed', 'packetsShed'],
  ['shed_seconds', 'shedSeconds'],
  ['shed_max_level', 'shedMaxLevel'],
];

/** A record as a plain object with external names (JSON lines), in column order. */
export function toExternal<T extends object>(
  row: T,
  columns: ReadonlyArray<readonly [string, keyof T]>,
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = extra ? { ...extra } : {};
  for (const [name, key] of columns) out[name] = row[key] ?? null;
  return out;
}
