import { readFileSync, writeFileSync } from 'node:fs';
import type { AnomalyRecord, RunRecord } from '../../src/outputs/records';
import { SqliteSink } from '../../src/outputs/sqlite-sink';

export interface PostgresOutput { url: string; passwordFile: string; sensor: string; batchRows?: number; drainSeconds?: number; retryMaxSeconds?: number }

/** Replace the outputs section of a harness-written daemon config with SQLite + outputs.postgres. */
export function addPostgresOutput(configFile: string, db: string, p: PostgresOutput): void {
  const text = readFileSync(configFile, 'utf8').replace(/^outputs:\n  sqlite: .*\n/m, '');
  writeFileSync(configFile, text + [
    'outputs:', `  sqlite: ${db}`, '  postgres:', `    url: ${p.url}`, `    passwordFile: ${p.passwordFile}`, `    sensor: ${p.sensor}`,
    `    batchRows: ${p.batchRows ?? 2000}`, `    retryMaxSeconds: ${p.retryMaxSeconds ?? 1}`, `    drainSeconds: ${p.drainSeconds ?? 5}`, '',
  ].join('\n'));
}

/** A local file with a backlog: one finished run with `n` anomalies (incident 1). Returns the rows written (run + anomalies). */
export function writeBacklog(db: string, n: number): number {
  const sink = new SqliteSink(db);
  const run: RunRecord = {
    id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'replay', sources: ['backlog.pcap'], modelId: 'm', modelSha256: '',
    threshold: 0.9, packets: n, windows: 0, anomalies: n, incidents: 1, suppressed: 0, status: 'running',
  };
  run.id = sink.startRun(run);
  const chunk = 50_000;
  for (let from = 0; from < n; from += chunk) {
    const rows: AnomalyRecord[] = [];
    for (let i = from; i < Math.min(n, from + chunk); i++) {
      const ts = 1.7e9 + i / 1000;
      rows.push({
        runId: run.id, frame: i + 1, ts, tsIso: new Date(ts * 1000).toISOString(), source: 'backlog.pcap', interfaceId: 0,
        srcMac: null, dstMac: null, srcIp: `10.0.${(i >> 8) & 255}.${i & 255}`, dstIp: '10.9.9.9', srcPort: 1024 + (i % 60000), dstPort: 22, protocol: 'TCP',
        length: 60, score: 0.95, threshold: 0.9, incidentId: 1, attentionFrame: i + 1, topFeatures: 'tcp_syn=+3.0σ, iat_flow=-2.1σ', communityId: '1:abcdefghijklmnopqrstuvwxyz0=',
      });
    }
    sink.writeAnomalies(rows);
  }
  run.status = 'finished';
  run.finishedAt = new Date().toISOString();
  sink.finishRun(run);
  sink.close();
  return n + 1;
}
