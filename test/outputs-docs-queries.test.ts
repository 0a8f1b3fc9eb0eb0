import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { PACKAGE_ROOT } from '../src/paths';
import { isoFromEpoch } from '../src/outputs/anomaly-from-packet';
import { placeRow } from './helpers/place-row';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import type { AnomalyRecord, RunRecord } from '../src/outputs/records';
import { SqliteSink } from '../src/outputs/sqlite-sink';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-docs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The `<!-- query: name -->` + ```sql blocks of docs/sqlite.md, by name. */
function docQueries(): Map<string, string> {
  const md = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'sqlite.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of md.matchAll(/<!-- query: ([\w-]+) -->\s*```sql\n([\s\S]*?)```/g)) out.set(m[1], m[2].trim());
  return out;
}

function sqlite3Json(db: string, sql: string): Record<string, unknown>[] {
  const out = execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8' }).trim();
  return out === '' ? [] : JSON.parse(out);
}

test('docs/sqlite.md example queries run in the sqlite3 CLI and return the expected rows', () => {
  const queries = docQueries();
  for (const name of ['top-sources', 'per-hour', 'incident-packets', 'top-today', 'on-port', 'latest-incidents']) assert.ok(queries.has(name), name);

  // Two runs: an older one (days ago) and one with anomalies spread over the last hours.
  const dbPath = path.join(dir, 'alerts.db');
  const sink = new SqliteSink(dbPath);
  const now = Date.now() / 1000;
  const all: AnomalyRecord[] = [];
  const runIds: number[] = [];
  const lastRunIncidents: Map<number, number> = new Map();
  for (const [r, base] of [[0, now - 3 * 86400], [1, now - 5 * 3600]] as const) {
    const run: RunRecord = {
      id: 0, startedAt: new Date(base * 1000).toISOString(), finishedAt: null, mode: 'replay', sources: ['x.pcap'], modelId: 'm',
      modelSha256: '', threshold: 0.9, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
    };
    const runId = sink.startRun(run);
    runIds.push(runId);
    const tracker = new IncidentTracker({ gapSeconds: 600, maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: Infinity });
    const rows: AnomalyRecord[] = [];
    for (let i = 1; i <= 60; i++) {
      const ts = base + i * 290 + r; // ~5 hours, some rows today and some maybe yesterday
      const src = `10.0.${r}.${i % 4 === 0 ? 7 : i % 3 === 0 ? 20 : 100 + (i % 5)}`;
      const group = Math.floor(i / 15); // 4 host groups -> incidents
      const write = placeRow(tracker, {
        runId, frame: i * 10, ts, tsIso: isoFromEpoch(ts), source: 'x.pcap', interfaceId: 0, srcMac: null, dstMac: null,
        srcIp: src, dstIp: `192.168.${r}.${group}`, srcPort: 30000 + i, dstPort: i % 6 === 0 ? 53 : 443,
        protocol: i % 6 === 0 ? 'UDP' : 'TCP', length: 100, score: 0.9 + i / 1000 + r / 10000, threshold: 0.9,
        attentionFrame: i * 10, topFeatures: 'x=+1σ', communityId: null,
      });
      if (write) rows.push(write);
      if (i % 15 === 14) tracker.advance(i * 10 + 5000, ts + 3600); // close the group's incident
    }
    sink.writeAnomalies(rows);
    const incidents = tracker.closeAll();
    sink.upsertIncidents(incidents);
    if (r === 1) for (const inc of incidents) lastRunIncidents.set(inc.id, inc.packets);
    all.push(...rows);
    sink.finishRun({ ...run, id: runId, status: 'finished', anomalies: rows.length });
  }
  sink.close();

  // Top source hosts.
  const counts = new Map<string, number>();
  for (const a of all) counts.set(a.srcIp!, (counts.get(a.srcIp!) ?? 0) + 1);
  const top = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 10);
  assert.deepEqual(sqlite3Json(dbPath, queries.get('top-sources')!).map((r) => [r.src_ip, r.anomalies]), top);

  // Per hour (UTC).
  const hours = new Map<string, number>();
  for (const a of all) {
    const h = new Date(a.ts * 1000).toISOString().slice(0, 13).replace('T', ' ') + ':00';
    hours.set(h, (hours.get(h) ?? 0) + 1);
  }
  assert.deepEqual(sqlite3Json(dbPath, queries.get('per-hour')!).map((r) => [r.hour, r.anomalies]), [...hours].sort());

  // One incident's packets (run 1, incident 2).
  const inc = all.filter((a) => a.runId === 1 && a.incidentId === 2).map((a) => a.frame);
  assert.ok(inc.length > 1);
  assert.deepEqual(sqlite3Json(dbPath, queries.get('incident-packets')!).map((r) => r.frame), inc);

  // Highest scores today (UTC midnight).
  const midnight = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) / 1000;
  const today = all.filter((a) => a.ts >= midnight).sort((x, y) => y.score - x.score).slice(0, 20).map((a) => a.tsIso);
  assert.deepEqual(sqlite3Json(dbPath, queries.get('top-today')!).map((r) => r.ts_iso), today);

  // A port.
  const dns = all.filter((a) => a.dstPort === 53 || a.srcPort === 53).sort((x, y) => x.ts - y.ts).map((a) => a.tsIso);
  assert.ok(dns.length > 0);
  assert.deepEqual(sqlite3Json(dbPath, queries.get('on-port')!).map((r) => r.ts_iso), dns);

  // Latest run's incidents, largest first.
  const latest = sqlite3Json(dbPath, queries.get('latest-incidents')!);
  assert.deepEqual(new Set(latest.map((r) => r.id)), new Set(lastRunIncidents.keys()));
  assert.deepEqual(latest.map((r) => r.packets), [...lastRunIncidents.values()].sort((a, b) => b - a));
  assert.deepEqual(runIds, [1, 2]);
});

test('README and docs queries print readable rows, even for a scan of a whole /24', () => {
  const dbPath = path.join(dir, 'scan.db');
  const sink = new SqliteSink(dbPath);
  const now = Math.floor(Date.now() / 1000);
  const run: RunRecord = {
    id: 0, startedAt: new Date(now * 1000).toISOString(), finishedAt: null, mode: 'replay', sources: ['scan.pcap'], modelId: 'm',
    modelSha256: '', threshold: 0.9, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
  };
  const runId = sink.startRun(run);
  const tracker = new IncidentTracker({ maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: Infinity });
  const rows: AnomalyRecord[] = [];
  for (let h = 1; h <= 254; h++) {
    const ts = now - 60 + h * 0.01;
    const w = placeRow(tracker, {
      runId, frame: h, ts, tsIso: isoFromEpoch(ts), source: 'scan.pcap', interfaceId: 0, srcMac: null, dstMac: null,
      srcIp: '192.168.1.71', dstIp: `192.168.1.${h}`, srcPort: 40000, dstPort: 53, protocol: 'TCP', length: 60,
      score: 0.95, threshold: 0.9, attentionFrame: h, topFeatures: 'tcp_syn=+6.0σ', communityId: null,
    });
    if (w) rows.push(w);
  }
  sink.writeAnomalies(rows);
  sink.upsertIncidents(tracker.closeAll());
  sink.finishRun({ ...run, id: runId, status: 'finished', anomalies: rows.length });
  sink.close();
  const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const queries = [...readme.matchAll(/```sql\n([\s\S]*?)```/g), ...docQueries().values()].map((q) => (typeof q === 'string' ? q : q[1]));
  for (const q of queries) {
    const out = execFileSync('sqlite3', ['-header', '-column', dbPath, q], { encoding: 'utf8' });
    for (const line of out.split('\n')) assert.ok(line.length <= 220, `a ${line.length}-character row from:\n${q}`);
  }
  const [inc] = sqlite3Json(dbPath, 'SELECT main_source, main_target, sources, targets FROM incidents');
  assert.deepEqual(inc, { main_source: '192.168.1.71', main_target: '192.168.1.1', sources: 1, targets: 254 });
});
