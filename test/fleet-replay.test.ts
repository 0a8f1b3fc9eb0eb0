import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { Forwarder } from '../src/fleet/forwarder';
import { ForwardStore } from '../src/fleet/forward-store';
import { pgTarget } from '../src/fleet/pg-target';
import { runCli, tempDir } from './helpers/cli';
import { assertForwardedExactlyOnce, forwardState } from './helpers/fleet-compare';
import { ADMIN, PgServer, pgSkipReason, SENSOR_PASSWORD, SENSOR_ROLE } from './helpers/pg-server';
import { committedSample } from './helpers/samples';
import { PACKAGE_ROOT } from '../src/paths';

/**
 * Fleet mode through `replay --pg`: a real PostgreSQL server started here, the real CLI, the
 * committed samples. Daemon behaviour (server stopped mid-capture, SIGTERM) is in fleet-daemon.test.ts.
 */
const skip = pgSkipReason() ?? false;
let pg: PgServer;
const dir = tempDir('fleet-replay');
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() && !l.startsWith('info: '));

describe('fleet: replay --pg', { skip }, () => {
  before(async () => {
    pg = await PgServer.create();
  });
  after(() => pg?.destroy());

  const replay = (capture: string, db: string, sensor: string, extra: string[] = [], pwFile = pg.sensorPasswordFile()) =>
    runCli(['replay', committedSample(capture), '--db', db, '--no-csv', '--quiet', '--pg', pg.sensorUrl(), '--pg-password-file', pwFile, '--sensor', sensor, ...extra], { cwd: dir });

  test('two sensors into one database: every row of each SQLite file is in PostgreSQL exactly once, with its sensor', async () => {
    const a = path.join(dir, 'site-a.db');
    const b = path.join(dir, 'site-b.db');
    for (const [capture, db, sensor] of [['lan-portscan.pcap', a, 'site-a'], ['lan-dnsshell.pcap', b, 'site-b'], ['lan-dnsshell.pcap', a, 'site-a']] as const) {
      const r = replay(capture, db, sensor);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stderr.includes(SENSOR_PASSWORD) && !r.stdout.includes(SENSOR_PASSWORD));
    }
    const ca = await assertForwardedExactlyOnce(a, pg, 'site-a');
    const cb = await assertForwardedExactlyOnce(b, pg, 'site-b');
    assert.equal(ca.runs, 2);
    assert.equal(cb.runs, 1);
    assert.ok(ca.anomalies > 200 && cb.anomalies > 0 && ca.incidents > 0, JSON.stringify({ ca, cb }));
    const sensors = await pg.query<{ sensor: string }>('SELECT sensor FROM sensors ORDER BY sensor');
    assert.deepEqual(sensors.map((s) => s.sensor), ['site-a', 'site-b']);
    const st = forwardState(a);
    assert.equal(st.forwarded_rows, ca.runs + ca.anomalies + ca.incidents, 'each row of site-a sent once (no re-sends)');
  });

  test('re-sending everything (the local position lost) is harmless: nothing is stored twice', async () => {
    const a = path.join(dir, 'site-a.db');
    const before = await pg.query<{ n: string }>('SELECT count(*) AS n FROM anomalies');
    const raw = new Database(a);
    raw.exec(`UPDATE forward_state SET anomaly_pos = 0, change_pos = 0;
      INSERT INTO forward_changes (tbl, run_id, row_id) SELECT 'runs', id, id FROM runs;
      INSERT INTO forward_changes (tbl, run_id, row_id) SELECT 'incidents', run_id, id FROM incidents;`);
    raw.close();
    const f = new Forwarder({ db: a, target: pgTarget({ url: pg.sensorUrl(), passwordFile: pg.sensorPasswordFile(), sensor: 'site-a', where: 'test' }), batchRows: 50 });
    const p = await f.drain();
    assert.equal(p.error, null);
    assert.ok(p.forwarded > 200, `re-sent ${p.forwarded}`);
    assert.equal(p.inserted, 0, 'no anomaly row was new');
    assert.deepEqual(await pg.query('SELECT count(*) AS n FROM anomalies'), before);
    await assertForwardedExactlyOnce(a, pg, 'site-a');
  });

  test('wrong password, unreachable host, newer schema: one line, exit 5, the rows kept locally and sent once it works', async () => {
    const db = path.join(dir, 'site-c.db');
    const wrong = pg.sensorPasswordFile('not-the-password');
    const r1 = replay('lan-portscan.pcap', db, 'site-c', [], wrong);
    assert.equal(r1.code, 5, r1.stderr);
    // Besides the usual start-up info lines (model, backend): exactly one line about the failure.
    const lines = errorLines(r1.stderr);
    assert.equal(lines.length, 1, r1.stderr);
    assert.match(lines[0], /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet refused the login .*password authentication failed.*; \d+ rows wait in .*site-c\.db/);
    assert.ok(!r1.stderr.includes('not-the-password'));
    const local = new Database(db, { readonly: true });
    const n = (local.prepare('SELECT count(*) AS n FROM anomalies').get() as { n: number }).n;
    local.close();
    assert.ok(n > 200, 'scored and stored locally');
    assert.equal(forwardState(db).anomaly_pos, 0);
    assert.match(String(forwardState(db).last_error), /refused the login/);

    const closed = `postgresql://${SENSOR_ROLE}@127.0.0.1:9/fleet?sslmode=disable`;
    const r2 = runCli(['replay', committedSample('lan-benign.pcap'), '--db', db, '--no-csv', '--quiet', '--pg', closed, '--pg-password-file', pg.sensorPasswordFile(), '--sensor', 'site-c'], { cwd: dir });
    assert.equal(r2.code, 5, r2.stderr);
    assert.equal(errorLines(r2.stderr).length, 1, r2.stderr);
    assert.match(errorLines(r2.stderr)[0], /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:9\/fleet is unreachable \(ECONNREFUSED: nothing listens on that port\); check that the server runs[^\n]*$/);

    await pg.admin('postgres', (c) => c.query(`CREATE DATABASE newer OWNER ${ADMIN}`));
    await pg.admin('newer', async (c) => {
      await c.query('CREATE TABLE lln_schema (version integer NOT NULL); INSERT INTO lln_schema VALUES (99)');
      await c.query(`GRANT SELECT ON lln_schema TO ${SENSOR_ROLE}`);
    });
    const r3 = runCli(['replay', committedSample('lan-benign.pcap'), '--db', db, '--no-csv', '--quiet', '--pg', pg.sensorUrl('newer'), '--pg-password-file', pg.sensorPasswordFile(), '--sensor', 'site-c'], { cwd: dir });
    assert.equal(r3.code, 5, r3.stderr);
    assert.equal(errorLines(r3.stderr).length, 1, r3.stderr);
    assert.match(errorLines(r3.stderr)[0], /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/newer has lln-detect schema v99, newer than this sensor knows \(v3\); upgrade lln-detect on this sensor; \d+ rows wait[^\n]*$/);

    // The right password: this run's rows and the three earlier runs' go out, once each.
    const r4 = replay('lan-benign.pcap', db, 'site-c');
    assert.equal(r4.code, 0, r4.stderr);
    const c = await assertForwardedExactlyOnce(db, pg, 'site-c');
    assert.equal(c.runs, 4);
  });

  test('bad --pg settings fail before any work, in one line, without echoing a password', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--pg', `postgresql://${SENSOR_ROLE}:hunter2secret@127.0.0.1:5432/fleet`], /^lln-detect: LLN_E_USAGE: --pg: the URL holds a password, which would show in process lists and logs; remove it/],
      [['--pg', 'mysql://x@h/db'], /^lln-detect: LLN_E_USAGE: --pg: the URL must start with postgresql:\/\//],
      [['--pg', pg.sensorUrl(), '--pg-password-file', path.join(dir, 'missing.pw')], /^lln-detect: LLN_E_USAGE: --pg: password file .*missing\.pw cannot be read \(ENOENT\)/],
      [['--pg', `postgresql://${SENSOR_ROLE}@127.0.0.1/fleet?sslmode=sometimes`], /sslmode=sometimes is not one of disable, prefer, require, verify-ca, verify-full/],
      [['--pg', pg.sensorUrl(), '--no-db'], /^lln-detect: LLN_E_USAGE: --pg forwards from the SQLite file: drop --no-db/],
      [['--pg', pg.sensorUrl(), '--sensor', 'bad sensor name'], /sensor id 'bad sensor name' is not 1-63 letters/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(['replay', committedSample('lan-benign.pcap'), '--db', path.join(dir, 'bad.db'), '--no-csv', '--quiet', ...args], { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.ok(!r.stderr.includes('hunter2secret'), r.stderr);
    }
    // A file already forwarded as another sensor: refused before the capture is scored.
    const claimed = path.join(dir, 'claimed.db');
    const store = new ForwardStore(claimed);
    store.claim('site-x', 'elsewhere');
    store.close();
    const r = runCli(['replay', committedSample('lan-benign.pcap'), '--db', claimed, '--no-csv', '--quiet', '--pg', pg.sensorUrl(), '--pg-password-file', pg.sensorPasswordFile(), '--sensor', 'site-y'], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^lln-detect: LLN_E_USAGE: .*claimed\.db is forwarded as sensor 'site-x', not 'site-y'; pass --sensor site-x/);
    const db = new Database(claimed, { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n, 0, 'nothing was scored');
    db.close();
  });

  test("the sensor role may add rows but never delete or rewrite an alert; another file can't take a sensor's id", async () => {
    const c = new Client({ host: '127.0.0.1', port: pg.port, user: SENSOR_ROLE, password: SENSOR_PASSWORD, database: 'fleet' });
    await c.connect();
    try {
      for (const sql of ['DELETE FROM anomalies', "UPDATE anomalies SET score = 0", 'TRUNCATE runs', 'DROP TABLE incidents', "UPDATE runs SET sensor = 'x'", 'CREATE TABLE x (a int)']) {
        await assert.rejects(c.query(sql), /permission denied|must be owner/, sql);
      }
    } finally {
      await c.end();
    }
    const other = path.join(dir, 'other.db');
    const r = replay('lan-benign.pcap', other, 'site-a');
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /already has sensor 'site-a' forwarding from another SQLite file; give each sensor its own outputs\.postgres\.sensor/);
  });

  test("the README's set-up (fleet schema | psql, fleet grants | psql) and fleet queries work, as the sensor role", async () => {
    // Set-up as the README says, into a fresh database.
    await pg.admin('postgres', (c) => c.query(`CREATE DATABASE readme OWNER ${ADMIN}`));
    const psql = (db: string, user: string, password: string, args: string[], input?: string) => {
      const r = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1', ...args], { input, encoding: 'utf8', env: { ...process.env, PGPASSWORD: password } });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    psql('readme', ADMIN, 'admin-test-password', ['-q', '-1'], runCli(['fleet', 'schema']).stdout);
    psql('readme', ADMIN, 'admin-test-password', ['-q'], runCli(['fleet', 'grants', SENSOR_ROLE]).stdout);
    const db = path.join(dir, 'readme.db');
    const r0 = runCli(['replay', committedSample('lan-portscan.pcap'), '--db', db, '--no-csv', '--quiet', '--pg', pg.sensorUrl('readme'), '--pg-password-file', pg.sensorPasswordFile(), '--sensor', 'readme-a'], { cwd: dir });
    assert.equal(r0.code, 0, r0.stderr);

    // A capture shifted to the last minutes, so "last hour" and "today" have something to show.
    const recent = path.join(dir, 'recent.pcap');
    const shift = Math.floor(Date.now() / 1000 - 1709542800 - 17 - 300);
    assert.equal(spawnSync('editcap', ['-t', String(shift), committedSample('lan-portscan.pcap'), recent]).status, 0, 'editcap');
    const r = runCli(['replay', recent, '--db', path.join(dir, 'site-d.db'), '--no-csv', '--quiet', '--pg', pg.sensorUrl(), '--pg-password-file', pg.sensorPasswordFile(), '--sensor', 'site-d'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);

    const md = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const queries = new Map([...md.matchAll(/<!-- fleet-query: ([\w-]+) -->\s*```postgresql\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]));
    assert.deepEqual([...queries.keys()], ['per-sensor', 'top-sources', 'last-hour-incidents', 'host-today', 'latest-runs']);
    const run = (name: string) => {
      const [head, ...rows] = psql('fleet', SENSOR_ROLE, SENSOR_PASSWORD, ['--csv', '-c', queries.get(name)!]).trim().split('\n').map((l) => l.split(','));
      return rows.map((row) => Object.fromEntries(head.map((h, i) => [h, row[i]])));
    };
    const sensors = ['site-a', 'site-b', 'site-c', 'site-d'];
    assert.deepEqual(run('per-sensor').map((x) => x.sensor).sort(), sensors);
    const top = run('top-sources');
    assert.equal(top[0].src_ip, '192.168.1.12', 'the scanner leads');
    assert.equal(Number(top[0].sensors), 3, 'seen by the three sensors that replayed the scan');
    const hour = run('last-hour-incidents');
    assert.deepEqual(hour.map((x) => [x.sensor, x.main_source, x.main_target]), [['site-d', '192.168.1.12', '192.168.1.10']]);
    assert.deepEqual(run('host-today').map((x) => x.sensor), ['site-d']);
    assert.deepEqual(run('latest-runs').map((x) => x.sensor), sensors);
  });

  test('fleet retention drops or archives rows older than N days (as the owner)', async () => {
    const pw = path.join(dir, 'admin.pw');
    writeFileSync(pw, 'admin-test-password\n', { mode: 0o600 });
    const url = `postgresql://${ADMIN}@127.0.0.1:${pg.port}/fleet?sslmode=disable`;
    const count = async (t: string) => Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0].n);
    const anomalies = await count(`anomalies WHERE ts < EXTRACT(EPOCH FROM now()) - 30 * 86400`);
    const recent = await count(`anomalies WHERE ts >= EXTRACT(EPOCH FROM now()) - 30 * 86400`);
    assert.ok(anomalies > 0 && recent > 0, 'old rows (the 2024 samples) and recent ones (site-d)');
    // The samples were captured in 2024: a 3650-day window keeps them, a 30-day one does not.
    let r = runCli(['fleet', 'retention', '--pg', url, '--pg-password-file', pw, '--days', '3650']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropped rows older than 3650 days: anomalies 0, incidents 0, runs 0/);
    r = runCli(['fleet', 'retention', '--pg', url, '--pg-password-file', pw, '--days', '30', '--archive']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`archived rows older than 30 days: anomalies ${anomalies}, incidents \\d+, runs 0`));
    assert.equal(await count('anomalies'), recent, 'recent rows kept');
    assert.equal(await count('anomalies_archive'), anomalies);
    assert.equal(await count('runs'), 8, 'runs finished today are kept');
    r = runCli(['fleet', 'migrate', '--pg', url, '--pg-password-file', pw]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /schema v3, up to date/);
    r = runCli(['fleet', 'grants', 'lln_sensor']);
    assert.match(r.stdout, /^GRANT SELECT, INSERT ON sensors, runs, anomalies, incidents TO "lln_sensor";$/m);
  });
});
