import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { isoFromEpoch } from '../src/outputs/anomaly-from-packet';
import { communityId } from '../src/outputs/community-id';
import { CsvSink } from '../src/outputs/csv-sink';
import { FanoutSink } from '../src/outputs/fanout-sink';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import { JsonlSink } from '../src/outputs/jsonl-sink';
import type { AnomalyRecord, ProtocolName, RunRecord } from '../src/outputs/records';
import { placeRow, type AnomalyRow } from './helpers/place-row';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { SKIP_NO_SAMPLES, sample } from './helpers/samples';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-agree-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FIELDS = ['frame.number', 'frame.time_epoch', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'frame.len', 'dns.qry.name'];

/** Packets of a real capture (as tshark reads them), as anomaly rows with a deterministic pseudo-score. */
function packetsOf(file: string, runId: number): AnomalyRow[] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
  });
  const rows: AnomalyRow[] = [];
  for (const line of out.trimEnd().split('\n')) {
    const v = line.split('\t');
    const frame = Number(v[0]);
    const src = v[4] || v[6] || null;
    const dst = v[5] || v[7] || null;
    const proto = Number(v[8] || -1);
    const sp = v[9] || v[11];
    const dp = v[10] || v[12];
    const protocol: ProtocolName = proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : proto === 1 ? 'ICMP' : 'other';
    rows.push({
      runId, frame, ts: Number(v[1]), tsIso: isoFromEpoch(Number(v[1])), source: file, interfaceId: 0,
      srcMac: v[2] || null, dstMac: v[3] || null, srcIp: src, dstIp: dst,
      srcPort: sp ? Number(sp) : null, dstPort: dp ? Number(dp) : null, protocol, length: Number(v[13]),
      score: 0.9 + ((frame * 37) % 100) / 1000, threshold: 0.9, attentionFrame: Math.max(1, frame - 3),
      // DNS names come from the wire: the riskiest text in the outputs.
      topFeatures: v[14] ? `dns_qname=${v[14]}` : 'iat_flow=-3.1σ',
      communityId: src && dst && proto > 0 ? communityId(proto, src, dst, sp ? Number(sp) : null, dp ? Number(dp) : null) : null,
    });
  }
  return rows;
}

function parseCsvRows(text: string): string[][] {
  // Enough for this check: fields here contain no newlines (asserted via row counts elsewhere).
  return text.trimEnd().split('\n').map((l) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, -1).map((c) => c.replace(/,$/, '')));
}

test('CSV, JSON lines and SQLite hold the same rows, run id and incident ids for a real capture', { skip: SKIP_NO_SAMPLES }, (t) => {
  let packets: AnomalyRow[];
  try {
    packets = packetsOf(sample('dns-remoteshell.pcap'), 0);
  } catch {
    t.skip('tshark not available');
    return;
  }
  const paths = { db: path.join(dir, 'a.db'), csv: path.join(dir, 'a.csv'), jsonl: path.join(dir, 'a.jsonl') };
  const sink = new FanoutSink([new CsvSink(paths.csv), new JsonlSink(paths.jsonl), new SqliteSink(paths.db)]);
  const run: RunRecord = {
    id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'replay', sources: ['dns-remoteshell.pcap'],
    modelId: 'test', modelSha256: '', threshold: 0.9, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
  };
  const runId = sink.startRun(run);
  assert.ok(runId >= 1);
  const tracker = new IncidentTracker({ gapFrames: 20, maxRowsPerIncident: 15, maxRowsPerSourcePerMinute: 40 });
  let batch: AnomalyRecord[] = [];
  const expected = new Map<number, number>(); // frame -> incident id of written rows
  for (const p of packets) {
    p.runId = runId;
    if (p.frame % 3 === 0) {
      tracker.advance(p.frame, p.ts); // a normal packet
      continue;
    }
    const write = placeRow(tracker, p);
    if (write) {
      batch.push(write);
      expected.set(write.frame, write.incidentId);
    }
    if (batch.length >= 16) {
      sink.writeAnomalies(batch);
      sink.upsertIncidents(tracker.drainUpdates());
      batch = [];
    }
  }
  sink.writeAnomalies(batch);
  sink.upsertIncidents(tracker.closeAll());
  const totals = tracker.totals();
  Object.assign(run, { finishedAt: new Date().toISOString(), packets: packets.length, anomalies: totals.written, incidents: totals.incidents, suppressed: totals.suppressed, status: 'finished' });
  sink.finishRun(run);
  sink.close();
  assert.ok(totals.suppressed > 0 && totals.incidents > 1, 'the capture exercised merging and rate limiting');

  const db = new Database(paths.db, { readonly: true });
  const dbRows = db.prepare('SELECT run_id, frame, incident_id, top_features FROM anomalies ORDER BY frame').all() as { run_id: number; frame: number; incident_id: number; top_features: string }[];
  const csv = parseCsvRows(readFileSync(paths.csv, 'utf8'));
  const header = csv[0];
  const csvRows = csv.slice(1);
  const jsonl = readFileSync(paths.jsonl, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  const jsonAnoms = jsonl.filter((o) => o.type === 'anomaly');

  assert.equal(dbRows.length, totals.written);
  assert.equal(csvRows.length, totals.written);
  assert.equal(jsonAnoms.length, totals.written);
  const byFrame = (frame: number, inc: number, rid: number): string => `${rid}/${frame}/${inc}`;
  const want = [...expected].map(([f, i]) => byFrame(f, i, runId)).sort();
  assert.deepEqual(dbRows.map((r) => byFrame(r.frame, r.incident_id, r.run_id)).sort(), want);
  const c = (name: string): number => header.indexOf(name);
  assert.deepEqual(csvRows.map((r) => byFrame(Number(r[c('frame')]), Number(r[c('incident_id')]), Number(r[c('run_id')]))).sort(), want);
  assert.deepEqual(jsonAnoms.map((o) => byFrame(o.frame, o.incident_id, o.run_id)).sort(), want);
  assert.ok(dbRows.some((r) => r.top_features.startsWith('dns_qname=')), 'DNS names from the capture reached the outputs');

  // Incidents: the latest JSON line per id equals the SQLite row; totals are conserved.
  const lastJson = new Map<number, Record<string, unknown>>();
  for (const o of jsonl) if (o.type === 'incident') lastJson.set(o.id, o);
  const dbInc = db.prepare('SELECT * FROM incidents WHERE run_id = ? ORDER BY id').all(runId) as Record<string, unknown>[];
  assert.equal(dbInc.length, totals.incidents);
  assert.equal(lastJson.size, totals.incidents);
  let sumA = 0;
  let sumS = 0;
  for (const r of dbInc) {
    const j = lastJson.get(r.id as number)!;
    assert.deepEqual([j.packets, j.anomalies, j.suppressed, j.last_frame, JSON.stringify(j.hosts)], [r.packets, r.anomalies, r.suppressed, r.last_frame, r.hosts]);
    sumA += r.anomalies as number;
    sumS += r.suppressed as number;
  }
  assert.deepEqual([sumA, sumS], [totals.written, totals.suppressed]);
  const dbRun = db.prepare('SELECT anomalies, suppressed, incidents, status FROM runs WHERE id = ?').get(runId);
  assert.deepEqual(dbRun, { anomalies: totals.written, suppressed: totals.suppressed, incidents: totals.incidents, status: 'finished' });
  assert.deepEqual(jsonl.filter((o) => o.type === 'run').map((o) => [o.id, o.status]), [[runId, 'running'], [runId, 'finished']]);
  db.close();
});
