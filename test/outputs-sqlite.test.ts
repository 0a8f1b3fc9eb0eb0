import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { isLlnError } from '../src/errors';
import type { AnomalyRecord, IncidentRecord, RunRecord } from '../src/outputs/records';
import { SCHEMA_VERSION } from '../src/outputs/sqlite-schema';
import { SqliteSink } from '../src/outputs/sqlite-sink';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = (): string => path.join(dir, `t${++n}.db`);

function run(over: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 0, startedAt: '2024-05-01T10:00:00.000Z', finishedAt: null, mode: 'replay', sources: ['a.pcap', 'b.pcapng'],
    modelId: 'default-v1', modelSha256: 'ab'.repeat(32), threshold: 0.9, packets: 0, windows: 0, anomalies: 0,
    incidents: 0, suppressed: 0, status: 'running', ...over,
  };
}

function row(i: number, over: Partial<AnomalyRecord> = {}): AnomalyRecord {
  return {
    runId: 1, frame: i, ts: 1714557600 + i / 1000, tsIso: `2024-05-01T10:00:00.${String(i).padStart(6, '0')}Z`,
    source: 'a.pcap', interfaceId: 0, srcMac: '00:11:22:33:44:55', dstMac: null, srcIp: `10.0.0.${i % 250}`,
    dstIp: '192.168.1.1', srcPort: 1000 + i, dstPort: i % 2 ? 53 : null, protocol: 'UDP', length: 60 + i,
    score: 0.9 + (i % 10) / 100, threshold: 0.9, incidentId: 1 + (i % 3), attentionFrame: i - 1,
    topFeatures: 'dns_port_not_dns=+6.2σ', communityId: '1:abc=', ...over,
  };
}

function incident(id: number, over: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    id, runId: 1, firstFrame: 1, lastFrame: 5, startTs: 1714557600.5, endTs: 1714557601.25, hosts: ['10.0.0.1', '10.0.0.2'],
    ports: [53, 1001], mainSource: '10.0.0.1', mainTarget: '10.0.0.2', sources: 1, targets: 1,
    packets: 7, anomalies: 5, suppressed: 2, maxScore: 0.97, attentionFrame: 3, topFeatures: 'x=+1σ', ...over,
  };
}

function assertDbError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isLlnError(e) && e.code === 'LLN_E_DB' && pattern.test(e.message));
}

test('sqlite: round trip of runs, anomalies and incident upserts; several runs in one file', () => {
  const p = dbPath();
  const sink = new SqliteSink(p);
  const r = run();
  r.id = sink.startRun(r);
  assert.equal(r.id, 1);
  const rows = [row(1), row(2, { srcPort: null, dstMac: 'ff:ff:ff:ff:ff:ff', communityId: null }), row(3)];
  sink.writeAnomalies(rows);
  sink.upsertIncidents([incident(1), incident(2, { packets: 1, anomalies: 1, suppressed: 0 })]);
  sink.upsertIncidents([incident(1, { lastFrame: 9, packets: 10, anomalies: 8, hosts: ['10.0.0.1', '10.0.0.3'] })]);
  Object.assign(r, { finishedAt: '2024-05-01T10:05:00.000Z', packets: 1000, windows: 40, anomalies: 3, incidents: 2, suppressed: 2, status: 'finished' });
  sink.finishRun(r);
  sink.close();

  const sink2 = new SqliteSink(p);
  assert.equal(sink2.startRun(run({ mode: 'daemon' })), 2);
  sink2.close();

  const db = new Database(p, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const got = db.prepare('SELECT * FROM anomalies ORDER BY frame').all() as Record<string, unknown>[];
  assert.equal(got.length, 3);
  for (let i = 0; i < 3; i++) {
    const w = rows[i];
    const g = got[i];
    assert.deepEqual(
      [g.run_id, g.frame, g.ts, g.ts_iso, g.source, g.src_mac, g.dst_mac, g.src_ip, g.dst_ip, g.src_port, g.dst_port, g.protocol, g.length, g.score, g.incident_id, g.attention_frame, g.top_features, g.community_id],
      [w.runId, w.frame, w.ts, w.tsIso, w.source, w.srcMac, w.dstMac, w.srcIp, w.dstIp, w.srcPort, w.dstPort, w.protocol, w.length, w.score, w.incidentId, w.attentionFrame, w.topFeatures, w.communityId],
    );
  }
  const inc = db.prepare('SELECT * FROM incidents ORDER BY id').all() as Record<string, unknown>[];
  assert.equal(inc.length, 2);
  assert.equal(inc[0].last_frame, 9);
  assert.equal(inc[0].packets, 10);
  assert.deepEqual(JSON.parse(inc[0].hosts as string), ['10.0.0.1', '10.0.0.3']);
  assert.equal(inc[0].start_iso, '2024-05-01T10:00:00.500000Z');
  assert.equal(inc[0].end_iso, '2024-05-01T10:00:01.250000Z');
  const runs = db.prepare('SELECT * FROM runs ORDER BY id').all() as Record<string, unknown>[];
  assert.deepEqual(runs.map((x) => [x.id, x.status, x.mode]), [[1, 'finished', 'replay'], [2, 'running', 'daemon']]);
  assert.deepEqual(JSON.parse(runs[0].sources as string), ['a.pcap', 'b.pcapng']);
  assert.equal(runs[0].suppressed, 2);
  const idx = (db.prepare(`SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='anomalies'`).all() as { name: string }[]).map((x) => x.name);
  for (const want of ['anomalies_ts', 'anomalies_score', 'anomalies_src_ip', 'anomalies_incident']) assert.ok(idx.includes(want), want);
  db.close();
});

// The v1 schema exactly as version 1 wrote it (kept literal: the migration must keep working
// even if someone edits the code's copy by mistake).
const V1_SQL = `
  CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT NOT NULL,
    sources TEXT NOT NULL, model_id TEXT NOT NULL, threshold REAL NOT NULL, packets INTEGER NOT NULL DEFAULT 0,
    anomalies INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL);
  CREATE TABLE anomalies (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), frame INTEGER NOT NULL,
    ts REAL NOT NULL, ts_iso TEXT NOT NULL, source TEXT NOT NULL, src_mac TEXT, dst_mac TEXT, src_ip TEXT, dst_ip TEXT,
    src_port INTEGER, dst_port INTEGER, protocol TEXT NOT NULL, length INTEGER NOT NULL, score REAL NOT NULL,
    threshold REAL NOT NULL, incident_id INTEGER);
  CREATE INDEX anomalies_ts ON anomalies(ts);
  CREATE INDEX anomalies_score ON anomalies(score);
  CREATE INDEX anomalies_src_ip ON anomalies(src_ip);
  CREATE TABLE incidents (run_id INTEGER NOT NULL REFERENCES runs(id), id INTEGER NOT NULL, first_frame INTEGER NOT NULL,
    last_frame INTEGER NOT NULL, start_ts REAL NOT NULL, start_iso TEXT NOT NULL, end_ts REAL NOT NULL, end_iso TEXT NOT NULL,
    hosts TEXT NOT NULL, ports TEXT NOT NULL, packets INTEGER NOT NULL, anomalies INTEGER NOT NULL, max_score REAL NOT NULL,
    PRIMARY KEY (run_id, id));
  PRAGMA application_id = 1280069188;
  PRAGMA user_version = 1;
  INSERT INTO runs (started_at, mode, sources, model_id, threshold, packets, anomalies, status)
    VALUES ('2023-01-01T00:00:00Z', 'replay', '["old.pcap"]', 'm0', 0.8, 100, 1, 'finished');
  INSERT INTO anomalies (run_id, frame, ts, ts_iso, source, src_ip, dst_ip, protocol, length, score, threshold, incident_id)
    VALUES (1, 42, 1672531200.5, '2023-01-01T00:00:00.500000Z', 'old.pcap', '10.1.1.1', '10.1.1.2', 'TCP', 60, 0.95, 0.8, 1);
  INSERT INTO incidents VALUES (1, 1, 42, 42, 1672531200.5, '2023-01-01T00:00:00.500000Z', 1672531200.5,
    '2023-01-01T00:00:00.500000Z', '["10.1.1.1","10.1.1.2"]', '[]', 1, 1, 0.95);
`;

test('sqlite: a v1 database is upgraded in place, old rows kept, new rows written', () => {
  const p = dbPath();
  const old = new Database(p);
  old.exec(V1_SQL);
  old.close();
  const sink = new SqliteSink(p);
  assert.equal(sink.schemaVersion(), SCHEMA_VERSION);
  const id = sink.startRun(run());
  assert.equal(id, 2);
  sink.writeAnomalies([row(1, { runId: id })]);
  sink.upsertIncidents([incident(1, { runId: id })]);
  sink.close();
  const db = new Database(p, { readonly: true });
  const rows = db.prepare('SELECT run_id, frame, top_features, community_id, interface_id FROM anomalies ORDER BY run_id').all();
  assert.deepEqual(rows, [
    { run_id: 1, frame: 42, top_features: '', community_id: null, interface_id: 0 },
    { run_id: 2, frame: 1, top_features: 'dns_port_not_dns=+6.2σ', community_id: '1:abc=', interface_id: 0 },
  ]);
  assert.deepEqual(db.prepare('SELECT run_id, id, suppressed, main_source, main_target, sources, targets FROM incidents ORDER BY run_id').all(), [
    { run_id: 1, id: 1, suppressed: 0, main_source: null, main_target: null, sources: 0, targets: 0 },
    { run_id: 2, id: 1, suppressed: 2, main_source: '10.0.0.1', main_target: '10.0.0.2', sources: 1, targets: 1 },
  ]);
  db.close();
});

test('sqlite: refuses a newer schema, a foreign SQLite file and a non-database, without touching them', () => {
  const newer = dbPath();
  new SqliteSink(newer).close();
  const raw = new Database(newer);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
  raw.close();
  assertDbError(() => new SqliteSink(newer), /newer lln-detect.*upgrade lln-detect or choose another path with --db/);
  const check = new Database(newer, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 5);
  check.close();

  const foreign = dbPath();
  const f = new Database(foreign);
  f.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (1)');
  f.close();
  assertDbError(() => new SqliteSink(foreign), /not an lln-detect one/);
  const fc = new Database(foreign, { readonly: true });
  assert.equal(fc.pragma('journal_mode', { simple: true }), 'delete', 'journal mode left alone');
  assert.equal((fc.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n, 1);
  fc.close();

  const text = dbPath();
  writeFileSync(text, 'frame,score\n'.repeat(200));
  assertDbError(() => new SqliteSink(text), /not an SQLite database/);
  assertDbError(() => new SqliteSink(path.join(text, 'x.db')), /cannot open/);
});

test('sqlite: a full database fails with LLN_E_DB and keeps every committed batch', () => {
  const p = dbPath();
  const sink = new SqliteSink(p, { maxBytes: 96 * 1024 });
  const id = sink.startRun(run());
  let committed = 0;
  let error: unknown = null;
  for (let b = 0; b < 1000 && error === null; b++) {
    const batch = Array.from({ length: 50 }, (_, i) => row(b * 50 + i + 1, { runId: id, topFeatures: 'f'.repeat(200) }));
    try {
      sink.writeAnomalies(batch);
      committed += batch.length;
    } catch (e) {
      error = e;
    }
  }
  assert.ok(isLlnError(error) && error.code === 'LLN_E_DB', String(error));
  assert.match((error as Error).message, /full.*rows written before are intact/);
  assert.ok(committed > 0);
  sink.close();
  const db = new Database(p, { readonly: true });
  assert.equal((db.prepare('SELECT count(*) AS n FROM anomalies').get() as { n: number }).n, committed);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

test('sqlite: a writer blocked by another lock fails with LLN_E_DB, then recovers', () => {
  const p = dbPath();
  const sink = new SqliteSink(p, { busyTimeoutMs: 50 });
  const id = sink.startRun(run());
  const other = new Database(p);
  other.exec('BEGIN IMMEDIATE');
  assertDbError(() => sink.writeAnomalies([row(1, { runId: id })]), /holds a write lock/);
  other.exec('ROLLBACK');
  other.close();
  sink.writeAnomalies([row(2, { runId: id })]);
  sink.close();
  const db = new Database(p, { readonly: true });
  assert.deepEqual(db.prepare('SELECT frame FROM anomalies').all(), [{ frame: 2 }]);
  db.close();
});

/** Poll `cond` (yielding to the event loop) until it holds; fail after 30 s rather than hang. */
async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not reached within 30 s');
    await tick();
  }
}

/**
 * A reader thread polling the row count until it sees `final`; returns every count it saw.
 * state[0] = queries made, state[1] = the last count seen (for the writer to wait on).
 */
function startReader(p: string, state: Int32Array, useCli: boolean, final: number): Promise<number[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { execFileSync } = require('node:child_process');
    const state = new Int32Array(workerData.state);
    const seen = [];
    let query;
    if (workerData.useCli) {
      query = () => Number(execFileSync('sqlite3', ['-cmd', '.timeout 5000', workerData.path, 'SELECT count(*) FROM anomalies;'], { encoding: 'utf8' }).trim());
    } else {
      const Database = require(workerData.mod);
      const db = new Database(workerData.path, { readonly: true, timeout: 5000 });
      const st = db.prepare('SELECT count(*) AS n FROM anomalies');
      query = () => st.get().n;
    }
    for (let n = -1; n !== workerData.final; ) {
      n = query();
      seen.push(n);
      Atomics.store(state, 1, n);
      Atomics.add(state, 0, 1);
    }
    parentPort.postMessage(seen);
  `;
  const w = new Worker(code, { eval: true, workerData: { path: p, state: state.buffer, useCli, final, mod: require.resolve('better-sqlite3') } });
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('sqlite: concurrent readers (better-sqlite3 and the sqlite3 CLI) only ever see whole batches', async () => {
  const p = dbPath();
  const sink = new SqliteSink(p);
  const id = sink.startRun(run());
  const BATCH = 200;
  const BATCHES = 60;
  const libState = new Int32Array(new SharedArrayBuffer(8));
  const cliState = new Int32Array(new SharedArrayBuffer(8));
  const readers = [startReader(p, libState, false, BATCH * BATCHES), startReader(p, cliState, true, BATCH * BATCHES)];
  // Conditions, not pauses: both readers have queried once before the first write, and the
  // library reader has seen every batch before the next one is written.
  await until(() => Atomics.load(libState, 0) > 0 && Atomics.load(cliState, 0) > 0);
  for (let b = 0; b < BATCHES; b++) {
    sink.writeAnomalies(Array.from({ length: BATCH }, (_, i) => row(b * BATCH + i + 1, { runId: id })));
    await until(() => Atomics.load(libState, 1) === (b + 1) * BATCH);
  }
  const [lib, cli] = await Promise.all(readers);
  sink.close();
  for (const [name, seen] of [['better-sqlite3', lib], ['sqlite3 CLI', cli]] as const) {
    assert.ok(seen.length > 0, `${name} read`);
    const partial = seen.filter((c) => c % BATCH !== 0);
    assert.deepEqual(partial, [], `${name} saw a half-written batch`);
    assert.equal(seen[seen.length - 1], BATCH * BATCHES, `${name} sees the final count`);
  }
  const intermediate = new Set(lib.filter((c) => c > 0 && c < BATCH * BATCHES));
  assert.ok(intermediate.size >= 2, `the reader ran during the writes (saw ${intermediate.size} intermediate counts)`);
});

test('sqlite: a daemon run keeps its capture-loss counts; a replay run has NULL there', () => {
  const p = dbPath();
  const sink = new SqliteSink(p);
  const replay = sink.startRun(run());
  const live = run({ mode: 'daemon', sources: ['eth0'] });
  live.id = sink.startRun(live);
  Object.assign(live, { pcapReceived: 5000, pcapDropped: 1200, pcapIfDropped: 3, queueDropped: 7 });
  sink.finishRun(live);
  sink.close();
  const db = new Database(p, { readonly: true });
  const q = db.prepare('SELECT pcap_received, pcap_dropped, pcap_ifdropped, queue_dropped FROM runs WHERE id = ?');
  assert.deepEqual(q.get(replay), { pcap_received: null, pcap_dropped: null, pcap_ifdropped: null, queue_dropped: null });
  assert.deepEqual(q.get(live.id), { pcap_received: 5000, pcap_dropped: 1200, pcap_ifdropped: 3, queue_dropped: 7 });
  db.close();
});

test('sqlite v7: a daemon run keeps its overload-shedding counts; a replay run (never shedding) has NULL there', () => {
  const p = dbPath();
  const sink = new SqliteSink(p);
  const replay = sink.startRun(run());
  const live = run({ mode: 'daemon', sources: ['eth0'] });
  live.id = sink.startRun(live);
  Object.assign(live, { windowsShed: 4321, packetsShed: 65_000, shedSeconds: 12.5, shedMaxLevel: 6 });
  sink.finishRun(live);
  sink.close();
  const db = new Database(p, { readonly: true });
  const q = db.prepare('SELECT windows_shed, packets_shed, shed_seconds, shed_max_level FROM runs WHERE id = ?');
  assert.deepEqual(q.get(replay), { windows_shed: null, packets_shed: null, shed_seconds: null, shed_max_level: null });
  assert.deepEqual(q.get(live.id), { windows_shed: 4321, packets_shed: 65_000, shed_seconds: 12.5, shed_max_level: 6 });
  db.close();
});
