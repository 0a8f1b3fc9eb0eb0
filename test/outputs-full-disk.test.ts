import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isLlnError } from '../src/errors';
import { CSV_HEADER, CsvSink } from '../src/outputs/csv-sink';
import type { AnomalyRecord, RunRecord } from '../src/outputs/records';
import { ROWS_PER_TRANSACTION, SqliteSink } from '../src/outputs/sqlite-sink';
import { fillLeaving, mountTmpfs } from './helpers/mounts';

function run(): RunRecord {
  return {
    id: 0, startedAt: '2024-05-01T10:00:00.000Z', finishedAt: null, mode: 'replay', sources: ['a.pcap'], modelId: 'm', modelSha256: 'ab'.repeat(32),
    threshold: 0.5, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
  };
}

function row(i: number, runId: number): AnomalyRecord {
  return {
    runId, frame: i, ts: 1714557600 + i / 1000, tsIso: '2024-05-01T10:00:00.000000Z', source: 'a.pcap', interfaceId: 0,
    srcMac: '00:11:22:33:44:55', dstMac: null, srcIp: `10.0.${(i >> 8) & 255}.${i & 255}`, dstIp: '192.168.1.1', srcPort: 1000 + (i % 60000),
    dstPort: 53, protocol: 'UDP', length: 60, score: 0.9, threshold: 0.5, incidentId: 1, attentionFrame: i,
    topFeatures: `dns_qname_len=+${(i % 90) / 10}σ, global_rate=-4.1σ, flow_first=+3.3σ`, communityId: '1:abcdefghijklmnopqrstuvwxyz0=',
  };
}

test('sqlite on a full tmpfs: one big batch keeps every transaction before the disk filled', (t) => {
  const m = mountTmpfs(512);
  if (typeof m === 'string') return t.skip(m);
  try {
    const file = path.join(m.dir, 'a.db');
    const sink = new SqliteSink(file);
    const r = run();
    r.id = sink.startRun(r);
    // ~15 MB of rows in one call into 512 KiB: before bounded transactions this kept 0 rows.
    const rows = Array.from({ length: 40_000 }, (_, i) => row(i + 1, r.id));
    assert.throws(() => sink.writeAnomalies(rows), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_DB' && /full/.test(e.message));
    sink.close();
    const db = new Database(file, { readonly: true });
    const kept = (db.prepare('SELECT COUNT(*) AS c FROM anomalies').get() as { c: number }).c;
    const maxFrame = (db.prepare('SELECT MAX(frame) AS f FROM anomalies').get() as { f: number }).f;
    db.close();
    assert.ok(kept >= ROWS_PER_TRANSACTION, `kept ${kept} rows`);
    assert.equal(kept % ROWS_PER_TRANSACTION, 0, 'whole transactions only');
    assert.equal(maxFrame, kept, 'the rows kept are the first ones, without gaps');
  } finally {
    m.release();
  }
});

test('csv on a full tmpfs: the failed batch is cut off, the file ends with whole rows', (t) => {
  const m = mountTmpfs(64);
  if (typeof m === 'string') return t.skip(m);
  try {
    const file = path.join(m.dir, 'a.csv');
    const sink = new CsvSink(file);
    let written = 0;
    let failure: unknown = null;
    for (let b = 0; failure === null && b < 1000; b++) {
      const batch = Array.from({ length: 50 }, (_, i) => row(b * 50 + i + 1, 1));
      try {
        sink.writeAnomalies(batch);
        written += batch.length;
      } catch (e) {
        failure = e;
      }
    }
    sink.close();
    assert.ok(isLlnError(failure) && failure.code === 'LLN_E_OUTPUT' && /no space left/.test(failure.message), String(failure));
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], CSV_HEADER);
    assert.equal(lines[lines.length - 1], '', 'ends with a newline: no half row');
    assert.equal(lines.length - 2, written, 'exactly the batches that were accepted');
    assert.ok(written > 0);
  } finally {
    m.release();
  }
});

test('two sinks of one process on one database (the daemon and a spool file) on a full disk: once one fails the other writes no more rows, and both runs get their last update', (t) => {
  const m = mountTmpfs(512);
  if (typeof m === 'string') return t.skip(m);
  try {
    const file = path.join(m.dir, 'a.db');
    const daemon = new SqliteSink(file);
    const spool = new SqliteSink(file);
    const a = run(), b = run();
    a.id = daemon.startRun(a);
    b.id = spool.startRun(b);
    // The daemon's rows fill the disk: its write fails and it gives the reserve back for the runs' last updates.
    assert.throws(() => daemon.writeAnomalies(Array.from({ length: 40_000 }, (_, i) => row(i + 1, a.id))), (e: unknown) => isLlnError(e) && /full/.test(e.message));
    // The spool file's next rows would take that room (fuzz-daemon: they did, and the daemon's run stayed 'running').
    assert.throws(() => spool.writeAnomalies(Array.from({ length: 200 }, (_, i) => row(i + 1, b.id))), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_DB' && /full/.test(e.message));
    for (const [sink, r] of [[spool, b], [daemon, a]] as const) {
      r.status = 'failed';
      r.anomalies = 99_999; // what was found; the row must say what was committed
      sink.finishRun(r);
      sink.close();
    }
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT id, status, anomalies, (SELECT COUNT(*) FROM anomalies x WHERE x.run_id = runs.id) AS kept FROM runs ORDER BY id').all() as Array<{ id: number; status: string; anomalies: number; kept: number }>;
    db.close();
    assert.deepEqual(rows.map((r) => r.status), ['failed', 'failed'], JSON.stringify(rows));
    for (const r of rows) assert.equal(r.anomalies, r.kept, JSON.stringify(rows));
    assert.equal(rows[1]!.kept, 0, 'no spool rows after the disk filled');
  } finally {
    m.release();
  }
});

test('sqlite: the disk fills with a run\'s last update itself (a spool file\'s run writes none before it): the reserve it gives back takes it', (t) => {
  const m = mountTmpfs(512);
  if (typeof m === 'string') return t.skip(m);
  try {
    const file = path.join(m.dir, 'a.db');
    const sink = new SqliteSink(file);
    const r = run();
    r.id = sink.startRun(r);
    sink.writeAnomalies(Array.from({ length: 300 }, (_, i) => row(i + 1, r.id)));
    // Another writer takes the disk down to nothing (fuzz-daemon: the run stayed 'running', its counts 0).
    const filler = path.join(m.dir, 'filler');
    try {
      for (let i = 0; ; i++) writeFileSync(filler, Buffer.alloc(4096, 1), { flag: 'a' });
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    Object.assign(r, { status: 'finished', packets: 509, anomalies: 300, finishedAt: '2024-05-01T10:01:00.000Z' });
    sink.finishRun(r);
    sink.close();
    const db = new Database(file, { readonly: true });
    const got = db.prepare('SELECT status, packets, anomalies FROM runs WHERE id = ?').get(r.id);
    db.close();
    assert.deepEqual(got, { status: 'finished', packets: 509, anomalies: 300 });
  } finally {
    m.release();
  }
});

test('sqlite: a spool file\'s run closing on a full disk leaves the room for the daemon\'s last update (no checkpoint into it), and a new run\'s row takes none', (t) => {
  // fuzz-daemon (db-full, seed 31 run 215): the daemon's run stayed 'running'. Closing a sink
  // folded the WAL into the main file (wal_checkpoint), which grew it into the room the reserve
  // gave back; a spool file started after the disk filled wrote its run row into it too.
  const cases: Array<{ pre: number; freeKiB: number; newRun: boolean }> = [];
  for (const pre of [3000, 4800, 6000]) for (const freeKiB of [58, 108, 158, 208]) cases.push({ pre, freeKiB, newRun: freeKiB % 100 === 58 });
  const left: string[] = [];
  for (const c of cases) {
    const m = mountTmpfs(8192);
    if (typeof m === 'string') return t.skip(m);
    const open: SqliteSink[] = [];
    try {
      const file = path.join(m.dir, 'a.db');
      const daemon = new SqliteSink(file);
      const spool = new SqliteSink(file);
      open.push(daemon, spool);
      const a = run(), b = run();
      a.mode = 'daemon';
      a.id = daemon.startRun(a);
      let n = 1;
      daemon.writeAnomalies(Array.from({ length: c.pre }, () => row(n++, a.id)));
      b.id = spool.startRun(b);
      fillLeaving(m.dir, c.freeKiB * 1024);
      const write = (s: SqliteSink, r: RunRecord, k: number) => {
        try {
          s.writeAnomalies(Array.from({ length: k }, () => row(n++, r.id)));
          return true;
        } catch {
          return false;
        }
      };
      while (write(spool, b, 50)) daemon.updateRun(a); // the daemon's 1-s updates go on meanwhile
      b.status = 'interrupted';
      spool.finishRun(b);
      spool.close();
      if (c.newRun) {
        // The next spool file: its run row must not be written into the room either.
        const next = new SqliteSink(file);
        open.push(next);
        const r = run();
        assert.throws(() => next.startRun(r), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_DB' && /full/.test(e.message));
        next.close();
      }
      write(daemon, a, 50);
      a.status = 'failed';
      try {
        daemon.finishRun(a);
      } catch {
        /* checked below */
      }
      daemon.close();
      spawnSync('mount', ['-o', 'remount,size=64m', m.dir]); // room for the reader's -shm
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT id, status FROM runs ORDER BY id').all() as Array<{ id: number; status: string }>;
      db.close();
      if (rows.some((r) => r.status === 'running')) left.push(`${JSON.stringify(c)}: ${JSON.stringify(rows)}`);
    } finally {
      for (const s of open) {
        try {
          s.close(); // a failed assertion above must not leave the mount busy
        } catch {
          /* closed already, or its last flush did not fit */
        }
      }
      m.release();
    }
  }
  assert.deepEqual(left, [], 'run rows left running');
});
