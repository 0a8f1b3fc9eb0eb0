import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunRecord } from '../src/outputs/records';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { tempDir } from './helpers/cli';
import { writeOldSqlite } from './helpers/old-sqlite';
import { statusRuns } from './helpers/status-runs';
import { startUi, type UiProcess } from './helpers/ui-browser';

/**
 * The status page's shed column from a sensor's SQLite file: a daemon run that shed (packets in no
 * scored window, highest level, and on hover the windows and seconds), one that shed nothing, a
 * replay (NULL), and a v6 file that has no such columns at all (the view reads it read-only, so it
 * stays v6). The fleet's PostgreSQL source is checked in fleet-shed.test.ts.
 */
const dir = tempDir('ui-shed');
const run = (o: Partial<RunRecord>): RunRecord => ({
  id: 0, startedAt: '2024-03-04T09:00:00.000Z', finishedAt: '2024-03-04T10:00:00.000Z', mode: 'daemon', sources: ['eth0'], modelId: 'm@1', modelSha256: '1',
  threshold: 0.9, packets: 5_000_000, windows: 300_000, anomalies: 0, incidents: 0, suppressed: 0, status: 'finished', ...o,
});
let ui: UiProcess | undefined;

describe('ui status page: overload shedding per run (SQLite)', () => {
  const db = path.join(dir, 'daemon.db');
  before(() => {
    const sink = new SqliteSink(db);
    sink.startRun(run({ mode: 'replay', sources: ['a.pcap'] }));
    sink.startRun(run({ pcapReceived: 5_000_000, pcapDropped: 0, pcapIfDropped: 0, queueDropped: 0, windowsShed: 0, packetsShed: 0, shedSeconds: 0, shedMaxLevel: 0 }));
    sink.startRun(run({ pcapReceived: 5_000_000, pcapDropped: 0, pcapIfDropped: 0, queueDropped: 0, windowsShed: 81_120, packetsShed: 1_203_392, shedSeconds: 14.2, shedMaxLevel: 6 }));
    sink.close();
  });
  after(async () => {
    await ui?.stop();
  });

  test('packets shed and the highest level; – for a run that shed nothing and for a replay', async () => {
    ui = await startUi(['--db', db]);
    const page = await (await fetch(`${ui.url}status`)).text();
    const rows = statusRuns(page);
    assert.deepEqual(rows.map((r) => [r.run, r.mode, r.shed]), [['#3', 'daemon', '1,203,392 · level 6'], ['#2', 'daemon', '–'], ['#1', 'replay', '–']]);
    assert.equal(rows[0].loss, '0.00 %', 'the capture columns stay where they were');
    assert.match(page, /title="81,120 windows not scored; shedding 14\.2 s">1,203,392 · level 6</);
    await ui.stop();
    ui = undefined;
  });

  test('a v6 file (before the shed columns): every run shows –, the page still renders', async () => {
    const old = path.join(dir, 'v6.db');
    writeOldSqlite(old, 6, [{ started_at: '2024-03-04T09:00:00.000Z', finished_at: '2024-03-04T10:00:00.000Z', mode: 'daemon', sources: '["eth0"]', model_id: 'm@1', threshold: 0.9, packets: 1000, status: 'finished', pcap_received: 1000, pcap_dropped: 10 }]);
    ui = await startUi(['--db', old]);
    const rows = statusRuns(await (await fetch(`${ui.url}status`)).text());
    assert.deepEqual(rows.map((r) => [r.run, r.dropped, r.shed]), [['#1', '10', '–']]);
  });
});
