import { isoFromEpoch } from '../outputs/anomaly-from-packet';
import type { IncidentRecord, RunRecord } from '../outputs/records';

export interface ReplaySummary {
  run: RunRecord;
  seconds: number;
  packetsPerSecond: number;
  topIncidents: IncidentRecord[];
  decodeErrors: Record<string, number>;
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** The end-of-replay text a person reads: totals, then the top incidents as a table. */
export function formatReplaySummary(s: ReplaySummary): string {
  const r = s.run;
  const lines = [
    // id 0: no database gave the run an id (--no-db); "run 0" would name a run that is nowhere.
    r.id > 0 ? `run ${r.id}: ${r.status}` : `run (not recorded: no database): ${r.status}`,
    `packets ${r.packets}  windows ${r.windows}  anomalies ${r.anomalies}  incidents ${r.incidents}  suppressed ${r.suppressed}`,
    `elapsed ${s.seconds.toFixed(2)} s  (${Math.round(s.packetsPerSecond).toLocaleString('en-US')} packets/s)  model ${r.modelId}  threshold ${r.threshold.toFixed(4)}`,
  ];
  if (s.topIncidents.length) {
    lines.push('', 'top incidents:');
    // Who an incident is about comes first: the main source and target are what an operator
    // looks up; the full host list is in the incidents table.
    const head = ['id', 'start (UTC)', 'frames', 'pkts', 'max', 'attn', 'main source', 'srcs', 'main target', 'dsts', 'ports', 'top features'];
    const rows = s.topIncidents.map((i) => [
      String(i.id),
      isoFromEpoch(i.startTs).slice(0, 23),
      `${i.firstFrame}-${i.lastFrame}`,
      String(i.packets),
      i.maxScore.toFixed(3),
      String(i.attentionFrame),
      cut(i.mainSource ?? '-', 28),
      String(i.sources),
      cut(i.mainTarget ?? '-', 28),
      String(i.targets),
      cut(i.ports.join(' '), 18),
      cut(i.topFeatures, 60),
    ]);
    const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
    const fmt = (row: string[]) => row.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd();
    lines.push(fmt(head), ...rows.map(fmt));
    const more = r.incidents - s.topIncidents.length;
    if (more > 0) {
      const where = r.id > 0 ? ` (all of them: SELECT * FROM incidents WHERE run_id = ${r.id})` : '';
      lines.push(`… and ${more} more incident${more === 1 ? '' : 's'}, lower scores${where}`);
    }
  }
  return lines.join('\n') + '\n';
}
