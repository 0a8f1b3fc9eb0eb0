import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { formatForwardStatus, readForwardStatus } from '../src/fleet/forward-status';
import { ForwardStore } from '../src/fleet/forward-store';
import { SCHEMA_VERSION } from '../src/outputs/sqlite-schema';
import { DEFAULT_MODEL, runCli } from './helpers/cli';
import { writeBacklog } from './helpers/fleet-fixtures';

/** Fleet mode's local side and its settings, no PostgreSQL needed: the status section, the forward log, config errors. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-fleet-cfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('forward status of a local file: nothing forwarded yet, then pending rows, lag and the last error', async () => {
  const db = path.join(dir, 'status.db');
  writeBacklog(db, 1000);
  assert.deepEqual(readForwardStatus(db).configured, false, 'never forwarded');
  assert.match(formatForwardStatus(readForwardStatus(db)), /^forwarding to PostgreSQL: nothing forwarded from this file yet/);
  const raw = new Database(db, { readonly: true });
  assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal((raw.prepare('SELECT count(*) AS n FROM forward_changes').get() as { n: number }).n, 0, 'an unclaimed file logs no changes');
  raw.close();

  const store = new ForwardStore(db);
  assert.equal(store.claim('site-x', 'db.example.org:5432/lln_fleet'), 'new');
  store.recordFailure('PostgreSQL db.example.org:5432/lln_fleet is unreachable (ECONNREFUSED)');
  store.close();
  const t = Date.now() + 60_000;
  const s = readForwardStatus(db, t);
  assert.equal(s.configured, true);
  assert.equal(s.sensor, 'site-x');
  assert.equal(s.pendingRows, 1001, '1000 anomalies and the run (claiming logs every existing run and incident)');
  assert.ok(s.lagSeconds >= 59 && s.lagSeconds < 120, String(s.lagSeconds));
  assert.equal(s.failures, 1);
  const text = formatForwardStatus(s);
  assert.match(text, /^forwarding to PostgreSQL db\.example\.org:5432\/lln_fleet as sensor site-x:\n/);
  assert.match(text, /pending rows +1001\n/);
  assert.match(text, /failures +1; now failing since \S+: PostgreSQL db\.example\.org:5432\/lln_fleet is unreachable/);

  // A claimed file is bound to its sensor id.
  const again = new ForwardStore(db);
  assert.equal(again.claim('site-x', 'db.example.org:5432/lln_fleet'), 'same');
  assert.throws(() => again.claim('site-y', 'db.example.org:5432/lln_fleet'), /is forwarded as sensor 'site-x', not 'site-y'/);
  again.close();
});

test('config check refuses bad outputs.postgres settings in one line, never echoing a password', () => {
  const pw = path.join(dir, 'pw');
  writeFileSync(pw, 'secret-in-file\n', { mode: 0o600 });
  const base = (pg: string, sqlite = path.join(dir, 'a.db')) => [
    'interfaces: []', `spool:\n  dir: ${dir}`, `model:\n  dir: ${DEFAULT_MODEL}`, `outputs:\n  sqlite: ${sqlite}\n  postgres:\n${pg}`, 'metrics:\n  enabled: false',
  ].join('\n') + '\n';
  const cases: Array<[string, RegExp, string?]> = [
    ['    url: postgresql://lln_sensor:pa55word-in-url@db.example.org/lln_fleet', /outputs\.postgres: the URL holds a password, which would show in process lists and logs; remove it and put the password in a file/],
    [`    url: postgresql://lln_sensor@db.example.org/lln_fleet\n    passwordFile: ${path.join(dir, 'nope')}`, /outputs\.postgres: password file .*nope cannot be read \(ENOENT\); create it readable by the sensor's user/],
    ['    url: not a url', /outputs\.postgres: 'not a url' is not a URL; write postgresql:\/\/ROLE@HOST:5432\/DATABASE/],
    ['    url: postgresql://db.example.org/lln_fleet', /the URL names no role/],
    ['    url: postgresql://lln_sensor@db.example.org/lln_fleet\n    sensor: "two words"', /outputs\.postgres\.sensor: expected 1-63 letters/],
    ['    url: postgresql://lln_sensor@db.example.org/lln_fleet\n    batchRows: 0', /outputs\.postgres\.batchRows: expected a whole number between 1 and 20000/],
    ['    url: postgresql://lln_sensor@db.example.org/lln_fleet', /outputs\.sqlite: expected a file path: outputs\.postgres forwards from the local SQLite file/, 'false'],
  ];
  for (const [pg, re, sqlite] of cases) {
    const file = path.join(dir, 'c.yaml');
    writeFileSync(file, sqlite ? base(pg).replace(/  sqlite: .*\n/, `  sqlite: ${sqlite}\n`) : base(pg));
    const r = runCli(['config', 'check', file]);
    assert.equal(r.code, 7, `${pg}: ${r.stdout}${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
    assert.ok(!(r.stdout + r.stderr).includes('pa55word-in-url') && !(r.stdout + r.stderr).includes('secret-in-file'));
  }
  const ok = path.join(dir, 'ok.yaml');
  writeFileSync(ok, base(`    url: postgresql://lln_sensor@db.example.org/lln_fleet?sslmode=verify-full\n    passwordFile: ${pw}\n    sensor: site-a`));
  const r = runCli(['config', 'check', ok]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /keys and values ok/);
});
