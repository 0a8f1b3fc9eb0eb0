import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { incidentSql, parseIncidentQuery, parseTime } from '../src/ui/incident-query';
import { parseListen } from '../src/ui/listen-address';
import { freshState, writeJsonAtomic, writeState } from '../src/learn/learn-state';
import { STATUS_FILE, type StatusSnapshot } from '../src/learn/status-files';
import { modelDirSha256 } from '../src/model/model-dir';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { runCli, tempDir } from './helpers/cli';
import { committedSample } from './helpers/samples';
import { startUi, type UiProcess } from './helpers/ui-browser';

/**
 * `lln-detect ui` without a browser: every wrong start is one line with its exit code, the
 * token and Host checks, read-only for real, and the incident query's parsing. Plain HTTP
 * (fetch) is enough here; the pages themselves are checked in ui-browser.test.ts.
 */
const dir = tempDir('ui-cli');
const dbFile = path.join(dir, 'alerts.db');
const TOKEN = 'c0ffee-token-7d9f2a41b8e35c06';

/** One line on stderr, `lln-detect: CODE: …`, and the exit code. */
function failsWith(args: string[], exit: number, code: string, says: RegExp, env: NodeJS.ProcessEnv = {}): void {
  const r = runCli(['ui', ...args], { cwd: dir, timeoutMs: 30_000, env });
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('info: '));
  assert.equal(r.code, exit, r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0].startsWith(`lln-detect: ${code}: `), lines[0]);
  assert.match(lines[0], says);
  assert.equal(r.stdout, '');
}

describe('ui: wrong starts are one clear line', () => {
  // The sensor's own writer makes the file (the pages on a replay's file are ui-browser.test.ts's).
  before(() => {
    const sink = new SqliteSink(dbFile);
    const runId = sink.startRun({ id: 0, startedAt: '2024-03-04T09:00:00.000Z', finishedAt: '2024-03-04T09:01:00.000Z', mode: 'replay', sources: ['a.pcap'], modelId: 'm@1', modelSha256: '1', threshold: 0.9, packets: 100, windows: 6, anomalies: 0, incidents: 1, suppressed: 0, status: 'finished' }) as number;
    sink.upsertIncidents([{ id: 1, runId, firstFrame: 5, lastFrame: 9, startTs: 1_709_542_800, endTs: 1_709_542_801, hosts: ['192.168.1.10', '192.168.1.12'], ports: [21, 22], mainSource: '192.168.1.12', mainTarget: '192.168.1.10', sources: 1, targets: 1, packets: 5, anomalies: 0, suppressed: 5, maxScore: 1, attentionFrame: 5, topFeatures: 'tcp_syn=+5.9σ' }]);
    sink.close();
  });

  test('the database: missing, not SQLite, SQLite but not lln-detect', () => {
    // no --db and no daemon config: what replay writes in this folder, named when missing
    failsWith(['--config', path.join(dir, 'no-config.yaml')], 3, 'LLN_E_NOT_FOUND', /anomalies\.db: no such database; give the alert database with --db/);
    failsWith(['--db', committedSample('lan-portscan.pcap')], 5, 'LLN_E_DB', /is not an SQLite database/);
    const other = new Database(path.join(dir, 'other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    failsWith(['--db', 'other.db'], 5, 'LLN_E_DB', /is an SQLite database but not an lln-detect one/);
  });

  test('the address and the token: off loopback only with a token; a short token; a port in use', async () => {
    failsWith(['--db', dbFile, '--listen', '0.0.0.0:8089'], 2, 'LLN_E_USAGE', /reachable from other machines.*give --token/);
    failsWith(['--db', dbFile, '--listen', '[::]:0', '--token', 'short'], 2, 'LLN_E_USAGE', /--token is 5 characters; use at least 16/);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      failsWith(['--db', dbFile, '--listen', `127.0.0.1:${port}`], 2, 'LLN_E_USAGE', /the port is in use/);
    } finally {
      busy.close();
    }
  });

  test('the fleet URL: not PostgreSQL, a password in it, nothing listening', () => {
    failsWith(['--pg', 'mysql://viewer@db/fleet'], 2, 'LLN_E_USAGE', /must start with postgresql:\/\//);
    failsWith(['--pg', 'postgresql://viewer:secret@db/fleet'], 2, 'LLN_E_USAGE', /holds a password/);
    // port 1 on loopback: nothing listens there
    failsWith(['--pg', 'postgresql://viewer@127.0.0.1:1/fleet?sslmode=disable'], 5, 'LLN_E_PG', /unreachable \(ECONNREFUSED: nothing listens on that port\)/, { PGPASSWORD: 'x' });
  });
});

describe('ui: who may read, and reading only', () => {
  let open: UiProcess, guarded: UiProcess;
  before(async () => {
    [open, guarded] = await Promise.all([startUi(['--db', dbFile]), startUi(['--db', dbFile, '--token', TOKEN])]);
  });
  after(async () => {
    await Promise.all([open?.stop(), guarded?.stop()]);
  });

  test('without a token: only a Host naming this machine (no DNS rebinding); security headers on every answer', async () => {
    const ok = await fetch(`${open.url}incidents`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-security-policy'), "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');
    const js = await fetch(`${open.url}static/uPlot.iife.min.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.ok((await js.text()).includes('uPlot'));
    // fetch may not set Host: node:http's request does
    const { request } = await import('node:http');
    const status = (host: string) => new Promise<number>((resolve, reject) => {
      const u = new URL(open.url);
      request({ host: u.hostname, port: u.port, path: '/incidents', headers: { host } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
    });
    assert.equal(await status('attacker.example:80'), 403);
    assert.equal(await status(`localhost:${new URL(open.url).port}`), 200);
  });

  test('with a token: 401 without it, a cookie from ?token= (then a URL without it), or a Bearer header', async () => {
    assert.equal((await fetch(`${guarded.url}incidents`)).status, 401);
    assert.equal((await fetch(`${guarded.url}static/ui.js`)).status, 401);
    assert.equal((await fetch(`${guarded.url}?token=wrong-token-0123456789`, { redirect: 'manual' })).status, 401);
    const first = await fetch(`${guarded.url}incidents?host=192.168.1.12&token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/incidents?host=192.168.1.12');
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(first.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    assert.equal((await fetch(`${guarded.url}incidents`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${guarded.url}status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  test('read-only: no method but GET and HEAD; the database file is byte for byte the same after every page', async () => {
    const hash = () => createHash('sha256').update(readFileSync(dbFile)).digest('hex');
    const before = hash();
    for (const p of ['incidents', 'incidents?sort=score&dir=asc&host=192.168.1.*', 'runs/1/incidents/1', 'status', 'runs/1/incidents/999', 'no-such-page']) {
      const r = await fetch(open.url + p);
      assert.ok([200, 404].includes(r.status), `${p}: ${r.status}`);
    }
    assert.equal((await fetch(`${open.url}runs/1/incidents/999`)).status, 404);
    assert.equal((await fetch(`${open.url}incidents`, { method: 'HEAD' })).status, 200);
    for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await fetch(`${open.url}incidents`, { method })).status, 404, method);
    assert.equal(hash(), before);
    // and SQLite itself refuses a write through the view's kind of connection
    const ro = new Database(dbFile, { readonly: true, fileMustExist: true });
    assert.throws(() => ro.exec('DELETE FROM incidents'), /readonly/i);
    ro.close();
  });
});

test('status with a daemon\'s state directory: the lifecycle as `lln-detect status` says it, the model\'s promise, capture loss', async () => {
  // A state directory as a running daemon leaves it (this process plays the daemon: its pid is alive).
  const state = path.join(dir, 'state');
  const model = path.join(dir, 'own-model');
  mkdirSync(model, { recursive: true });
  writeFileSync(path.join(model, 'model.json'), '{"modelTopology":{}}');
  writeFileSync(path.join(model, 'weights.bin'), Buffer.from([1, 2, 3, 4]));
  writeFileSync(path.join(model, 'threshold.json'), JSON.stringify({ value: 0.99, falseIncidents: { count: 0, heldOutSeconds: 25_920, perDay: 0, perDayAtMost: 10 } }));
  writeState(state, { ...freshState(), state: 'detecting', learningSince: '2024-03-01T00:00:00.000Z', current: 'own-model', previous: null, lastTrainingAt: '2024-03-04T08:00:00.000Z', lastTrainingResult: 'accepted own-model', nextRetrainAt: new Date(Date.now() + 6 * 86_400_000).toISOString() });
  const snap: StatusSnapshot = {
    pid: process.pid, updatedAt: new Date().toISOString(), running: true, model: { id: 'own-model@abc', dir: model, own: true, threshold: 0.99 },
    spool: { packets: 1000, bytes: 2e6, files: 2, maxBytes: 3e6 }, learning: { period: '7d', minPackets: 50_000, retrainEvery: '7d' }, training: null,
    alertsByHour: { [String(Math.floor(Date.now() / 3600e3))]: 12 }, provisionalByHour: {}, lastEvent: 'swapped in own-model',
  };
  writeJsonAtomic(path.join(state, STATUS_FILE), snap);
  const db = path.join(dir, 'daemon.db');
  const sink = new SqliteSink(db);
  sink.startRun({ id: 0, startedAt: new Date(Date.now() - 100_000).toISOString(), finishedAt: null, mode: 'daemon', sources: ['eth0'], modelId: 'own-model@abc', modelSha256: modelDirSha256(model), threshold: 0.99, packets: 500_000, windows: 1, anomalies: 12, incidents: 0, suppressed: 0, status: 'running', pcapReceived: 500_400, pcapDropped: 300, pcapIfDropped: 0, queueDropped: 100 });
  sink.close();
  const ui = await startUi(['--db', db, '--state-dir', state, '--model', model]);
  try {
    const page = await (await fetch(`${ui.url}status`)).text();
    const text = page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    assert.match(text, /state detecting/);
    assert.match(text, /daemon running \(pid \d+/);
    assert.match(text, /alerts 24h 12/);
    // the run's model found by its weights' hash: the promise training made, as status prints it
    assert.match(text, /own-model@abc threshold 0\.9900 · threshold 0\.9900: 0 false incidents in 7\.2 h of held-out benign traffic \(at most 10\.0 a day, 95%\)/);
    assert.match(text, /500,000 \d[\d,]* 500,400 300 0 100 0\.08 %/, 'packets, rate, received, dropped, if-dropped, queue-dropped, loss');
  } finally {
    await ui.stop();
  }
});

const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
const rootSkip = process.getuid?.() !== 0 ? 'not root: nothing to drop' : !Number.isInteger(nobody) || nobody <= 0 ? 'no user nobody' : false;

test('started as root on a file another user owns (the daemon\'s), the view becomes that user before opening it', { skip: rootSkip }, async () => {
  const own = path.join(dir, 'owned');
  mkdirSync(own, { mode: 0o755 });
  chmodSync(dir, 0o755); // the owner must reach the file, as lln-detect reaches /var/lib/lln-detect
  const db = path.join(own, 'daemon.db');
  copyFileSync(dbFile, db);
  chownSync(own, nobody, nobody);
  chownSync(db, nobody, nobody);
  chmodSync(db, 0o600);
  const ui = await startUi(['--db', db]);
  try {
    assert.equal((await fetch(`${ui.url}incidents`)).status, 200);
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${ui.child.pid}/status`, 'utf8'));
    assert.deepEqual(uids?.slice(1).map(Number), [nobody, nobody, nobody], 'real, effective and saved uid: root is gone for good');
    // what SQLite made beside the file for the reader belongs to the file's owner, not to root
    assert.equal(statSync(`${db}-shm`).uid, nobody);
  } finally {
    await ui.stop();
  }
});

test('incident queries: values are parameters, bad ones are notes, host* is a prefix, times are UTC', () => {
  assert.equal(parseTime('2024-03-04T09:00'), Date.UTC(2024, 2, 4, 9) / 1000);
  assert.equal(parseTime('2024-03-04'), Date.UTC(2024, 2, 4) / 1000);
  assert.equal(parseTime('1709542800'), 1709542800);
  assert.equal(parseTime('yesterday'), null);
  const { query, notes } = parseIncidentQuery({ host: "10.1.%'*", port: '70000', min_score: '0.5', sort: 'x; DROP TABLE runs', per_page: '20000', run: '3' });
  assert.deepEqual(notes, [
    "port '70000' is not a port number (0-65535): ignored",
    "sort 'x; DROP TABLE runs' is not one of start, packets, score, source, target, id: ignored",
    "per_page '20000' is not a page size (1-1000): ignored",
  ]);
  const sql = incidentSql(query, 'sqlite');
  assert.ok(!sql.where.includes("10.1") && !sql.orderBy.includes('DROP'));
  assert.deepEqual(sql.params, [3, 0.5, "10.1.\\%'%", "10.1.\\%'%", "10.1.\\%'%"]);
  assert.equal(incidentSql(query, 'pg').where.includes('$5'), true);
  assert.deepEqual(parseListen('8089'), { host: '127.0.0.1', port: 8089, loopback: true });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0, loopback: true });
  assert.deepEqual(parseListen(':0'), { host: '127.0.0.1', port: 0, loopback: true });
  assert.equal(parseListen('127.3.4.5:1').loopback, true);
  assert.equal(parseListen('192.168.1.5:8089').loopback, false);
  assert.throws(() => parseListen('localhost:http'), /is not a port/);
  assert.throws(() => parseListen('::1:80'), /IPv6 address goes in brackets/);
  assert.throws(() => parseListen('example.org:80'), /is not an IP address/);
});
