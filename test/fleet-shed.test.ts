import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Forwarder } from '../src/fleet/forwarder';
import { PG_MIGRATIONS } from '../src/fleet/pg-schema';
import { pgTarget } from '../src/fleet/pg-target';
import type { RunRecord } from '../src/outputs/records';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { runCli, tempDir } from './helpers/cli';
import { writeOldSqlite } from './helpers/old-sqlite';
import { ADMIN, ADMIN_PASSWORD, PgServer, pgSkipReason, SENSOR_PASSWORD } from './helpers/pg-server';
import { statusRuns } from './helpers/status-runs';
import { startUi } from './helpers/ui-browser';

/**
 * The shed columns (PostgreSQL schema v3) on a fleet store that was at v2 before this version:
 * `fleet migrate` as the owner, then a sensor role created under v2 (with v2's grants, which
 * name the v2 columns only) forwards a daemon's run with its shed figures, and again when they
 * grow (the upsert's UPDATE path). A v6 SQLite file (no shed columns) still forwards: NULL there.
 * The view reads them from PostgreSQL; retention's archive keeps them.
 */
const skip = pgSkipReason() ?? false;
const dir = tempDir('fleet-shed');
const DB = 'upgrade';
const OLD_ROLE = 'old-sensor'; // needs quoting: the re-grant must quote it as `fleet grants` does
const VIEWER = 'lln_viewer';
// What `lln-detect fleet grants` printed before v3 (README), for the role created then.
const V2_GRANTS = `
  GRANT SELECT ON lln_schema TO "${OLD_ROLE}";
  GRANT SELECT, INSERT ON sensors, runs, anomalies, incidents TO "${OLD_ROLE}";
  GRANT UPDATE (finished_at, model_id, model_sha256, threshold, packets, windows, anomalies, incidents, suppressed, status, pcap_received, pcap_dropped, pcap_ifdropped, queue_dropped) ON runs TO "${OLD_ROLE}";
  GRANT UPDATE (first_frame, last_frame, start_ts, start_iso, end_ts, end_iso, hosts, ports, packets, anomalies, max_score, suppressed, attention_frame, top_features, main_source, main_target, sources, targets) ON incidents TO "${OLD_ROLE}";`;
const SHED = ['windows_shed', 'packets_shed', 'shed_seconds', 'shed_max_level'] as const;
let pg: PgServer;

const daemonRun = (o: Partial<RunRecord>): RunRecord => ({
  id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'daemon', sources: ['eth0'], modelId: 'm@1', modelSha256: '1', threshold: 0.9,
  packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running', pcapReceived: 0, pcapDropped: 0, pcapIfDropped: 0, queueDropped: 0, ...o,
});

describe('fleet: the shed columns on a store migrated from v2', { skip }, () => {
  const url = (role: string) => `postgresql://${role}@127.0.0.1:${pg.port}/${DB}?sslmode=disable`;
  const forward = async (db: string, sensor: string) => {
    const f = new Forwarder({ db, target: pgTarget({ url: url(OLD_ROLE), passwordFile: pg.sensorPasswordFile(), sensor, where: 'test' }), logFailures: false });
    const p = await f.drain();
    assert.equal(p.error?.message ?? null, null);
    return p;
  };
  const shedOf = async (table: string, sensor: string) =>
    (await pg.query(`SELECT id, status, ${SHED.join(', ')} FROM ${table} WHERE sensor = $1 ORDER BY id`, [sensor], DB))
      .map((r) => [Number(r.id), r.status, ...SHED.map((c) => (r[c] === null ? null : Number(r[c])))]);
  const adminPw = path.join(dir, 'admin.pw');

  before(async () => {
    pg = await PgServer.create();
    writeFileSync(adminPw, ADMIN_PASSWORD + '\n', { mode: 0o600 });
    await pg.admin('postgres', async (c) => {
      await c.query(`CREATE DATABASE ${DB} OWNER ${ADMIN}`);
      await c.query(`CREATE ROLE "${OLD_ROLE}" LOGIN PASSWORD '${SENSOR_PASSWORD}'`);
      await c.query(`CREATE ROLE ${VIEWER} LOGIN PASSWORD '${SENSOR_PASSWORD}'`);
    });
    // A v2 store as `fleet migrate` of the previous version left it, its roles granted then.
    await pg.admin(DB, async (c) => {
      await c.query('BEGIN');
      for (const m of PG_MIGRATIONS.slice(0, 2)) await c.query(m);
      await c.query('UPDATE lln_schema SET version = 2');
      await c.query('COMMIT');
      await c.query(V2_GRANTS);
      await c.query(`GRANT SELECT ON lln_schema, sensors, runs, anomalies, incidents TO ${VIEWER}`);
    });
  });
  after(() => pg?.destroy());

  test('fleet migrate: v2 → v3, and the sensor role (not the viewer) may now update the shed columns', async () => {
    const r = runCli(['fleet', 'migrate', '--pg', url(ADMIN), '--pg-password-file', adminPw]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `127.0.0.1:${pg.port}/${DB}: schema v2 → v3; UPDATE on the growing columns of runs and incidents granted again to ${OLD_ROLE}\n`);
    const may = await pg.query(`SELECT has_column_privilege($1, 'runs', 'packets_shed', 'UPDATE') AS sensor, has_column_privilege($2, 'runs', 'packets_shed', 'UPDATE') AS viewer`, [OLD_ROLE, VIEWER], DB);
    assert.deepEqual(may, [{ sensor: true, viewer: false }]);
    const again = runCli(['fleet', 'migrate', '--pg', url(ADMIN), '--pg-password-file', adminPw]);
    assert.equal(again.stdout, `127.0.0.1:${pg.port}/${DB}: schema v3, up to date\n`);
  });

  test("a daemon's run forwarded by the v2 role: its shed figures arrive, and arrive again as they grow", async () => {
    const db = path.join(dir, 'shed.db');
    const sink = new SqliteSink(db);
    // An old finished run (for retention below) and the live one, not shedding yet.
    const old = daemonRun({ startedAt: '2024-03-04T09:00:00.000Z', finishedAt: '2024-03-04T10:00:00.000Z', status: 'finished', windowsShed: 10, packetsShed: 640, shedSeconds: 2.5, shedMaxLevel: 2 });
    old.id = sink.startRun(old);
    const live = daemonRun({ windowsShed: 0, packetsShed: 0, shedSeconds: 0, shedMaxLevel: 0 });
    live.id = sink.startRun(live);
    await forward(db, 'site-shed');
    assert.deepEqual(await shedOf('runs', 'site-shed'), [[1, 'finished', 10, 640, 2.5, 2], [2, 'running', 0, 0, 0, 0]]);
    // Overloaded, then stopped: the same row again, now an UPDATE of the shed columns in PostgreSQL.
    Object.assign(live, { packets: 5_000_000, windowsShed: 81_120, packetsShed: 1_203_392, shedSeconds: 14.2, shedMaxLevel: 6 });
    sink.updateRun(live);
    sink.finishRun({ ...live, status: 'finished', finishedAt: new Date().toISOString() });
    sink.close();
    await forward(db, 'site-shed');
    assert.deepEqual(await shedOf('runs', 'site-shed'), [[1, 'finished', 10, 640, 2.5, 2], [2, 'finished', 81_120, 1_203_392, 14.2, 6]]);
  });

  test('a v6 SQLite file (no shed columns) still forwards: NULL there, the rest as before', async () => {
    const db = path.join(dir, 'v6.db');
    writeOldSqlite(db, 6, [{ started_at: '2024-03-04T09:00:00.000Z', finished_at: '2024-03-04T10:00:00.000Z', mode: 'replay', sources: '["a.pcap"]', model_id: 'm@1', threshold: 0.9, packets: 1000, status: 'finished' }]);
    const p = await forward(db, 'site-v6');
    assert.equal(p.forwarded, 1);
    assert.deepEqual(await shedOf('runs', 'site-v6'), [[1, 'finished', null, null, null, null]]);
    assert.deepEqual(await pg.query(`SELECT packets FROM runs WHERE sensor = 'site-v6'`, [], DB), [{ packets: '1000' }]);
  });

  test('the status page on the fleet PostgreSQL shows the shed figures per sensor (as a read-only viewer role)', async () => {
    const ui = await startUi(['--pg', url(VIEWER), '--pg-password-file', pg.sensorPasswordFile()]);
    try {
      const rows = statusRuns(await (await fetch(`${ui.url}status`)).text());
      const shed = rows.map((r) => [r.sensor, r.run, r.shed]).sort();
      assert.deepEqual(shed, [['site-shed', '#1', '640 · level 2'], ['site-shed', '#2', '1,203,392 · level 6'], ['site-v6', '#1', '–']]);
    } finally {
      await ui.stop();
    }
  });

  test('fleet retention --archive moves a run with its shed figures into runs_archive', async () => {
    const r = runCli(['fleet', 'retention', '--pg', url(ADMIN), '--pg-password-file', adminPw, '--days', '30', '--archive']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /archived rows older than 30 days: anomalies 0, incidents 0, runs 2/);
    assert.deepEqual(await shedOf('runs_archive', 'site-shed'), [[1, 'finished', 10, 640, 2.5, 2]]);
    assert.deepEqual(await shedOf('runs', 'site-shed'), [[2, 'finished', 81_120, 1_203_392, 14.2, 6]]);
  });
});
