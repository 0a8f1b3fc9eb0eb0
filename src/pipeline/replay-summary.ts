import { isoFromEpoch } from '../outputs/anomaly-from-packet';
import type { IncidentRecord, RunRecord } from '../outputs/records';

export interface ReplaySummary {
  run: RunRecord;
  seconds: number;
  packetsPerSecond: number;
  topIncidents: IncidentRecord[];
  decodeErrors: Record<string, number>;
  truncated?: string;
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** The end-of-replay text a person reads: totals, then the top incidents as a table. */
export function formatReplaySummary(s: ReplaySummary): string {
  const r = s.run;
  const lines = [
    `run ${r.id}: ${r.status}`,
    `packets ${r.packets}  windows ${r.windows}  anomalies ${r.anomalies}  incidents ${r.incidents}  suppressed ${r.suppressed}`,
    `elapsed ${s.seconds.toFixed(2)} s  (${Math.round(s.packetsPerSecond).toLocaleString('en-US')} packets/s)  model ${r.modelId}  threshold ${r.threshold.toFixed(4)}`,
  ];
  if (s.truncated) lines.push(`warning: ${s.truncated}`);
  if (s.topIncidents.length) {
    lines.push('', 'top incidents:');
    const head = ['id', 'start (UTC)', 'frames', 'pkts', 'max', 'attn', 'hosts', 'ports', 'top features'];
    const rows = s.topIncidents.map((i) => [
      String(i.id),
      isoFromEpoch(i.startTs).slice(0, 23),
      `${i.firstFrame}-${i.lastFrame}`,
      String(i.packets),
      i.maxScore.toFixed(3),
      String(i.attentionFrame),
      cut(i.hosts.join(' '), 34),
      cut(i.ports.join(' '), 18),
      cut(i.topFeatures, 60),
    ]);
    const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
    const fmt = (row: string[]) => row.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd();
    lines.push(fmt(head), ...rows.map(fmt));
  }
  return lines.join('\n') + '\n';
}
