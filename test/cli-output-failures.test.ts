import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CLI, DEFAULT_MODEL, runCli, tempDir, type CliResult } from './helpers/cli';
import { makeCapture, type Fixture } from './helpers/capture-fixture';
import { mountTmpfs } from './helpers/mounts';

const HAVE_DEV_FULL = existsSync('/dev/full');
const NO_DEV_FULL = HAVE_DEV_FULL ? false : '/dev/full is missing on this machine: skipping';
let dir = '';
let cap: Fixture;

before(async () => {
  dir = tempDir('outfail');
  cap = await makeCapture(dir, 3000);
});

/** The one line a user is told; asserts there is exactly one and no stack trace. */
function oneErrorLine(r: CliResult, code: number, pattern: RegExp): string {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('lln-detect:'));
  assert.equal(r.code, code, r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |Unhandled 'error'|internal error/, 'no stack trace');
  return lines[0];
}

/** Run the CLI with its standard output on a file descriptor (e.g. /dev/full). */
function runWithStdout(args: string[], stdoutPath: string, cwd: string): CliResult {
  const fd = openSync(stdoutPath, 'w');
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 120_000, env: { ...process.env, LLN_LOG_FORMAT: 'text' } });
    return { code: r.status, stdout: '', stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

function runRow(db: string): { status: string; packets: number; anomalies: number; rows: number } {
  const d = new Database(db, { readonly: true });
  const r = d.prepare('SELECT status, packets, anomalies FROM runs').get() as { status: string; packets: number; anomalies: number };
  const rows = (d.prepare('SELECT COUNT(*) AS c FROM anomalies').get() as { c: number }).c;
  d.close();
  return { ...r, rows };
}

const csvRows = (file: string): number => readFileSync(file, 'utf8').trim().split('\n').length - 1;

for (const flag of ['--scores-csv', '--jsonl']) {
  test(`replay ${flag} /dev/full: one line, exit 5, and every scored anomaly reaches the other outputs`, { skip: NO_DEV_FULL }, () => {
    const cwd = tempDir('devfull');
    const r = runCli(['replay', cap.file, '--db', 'h.db', '--csv', 'h.csv', flag, '/dev/full', '--threshold', '0', '--quiet'], { cwd, timeoutMs: 120_000 });
    oneErrorLine(r, 5, /^lln-detect: LLN_E_OUTPUT: cannot write \/dev\/full: no space left on device; /);
    const run = runRow(path.join(cwd, 'h.db'));
    assert.equal(run.status, 'failed');
    // Reading stops at the failure; what was read by then is scored (here at least the first batch).
    assert.ok(run.packets > 0 && run.packets <= cap.packets, `packets ${run.packets}`);
    assert.ok(run.anomalies > 0, 'every packet is an anomaly at threshold 0 (up to the rate limits)');
    assert.equal(run.rows, run.anomalies);
    assert.equal(csvRows(path.join(cwd, 'h.csv')), run.anomalies);
  });
}

test('features --out: read-only mount, missing directory, a directory: the same one-line check as replay, exit 5', (t) => {
  const ro = mountTmpfs(64, { ro: true });
  const cwd = tempDir('featout');
  mkdirSync(path.join(cwd, 'adir'));
  const targets = ['nodir/x.csv', 'adir'];
  if (typeof ro === 'string') t.diagnostic(ro);
  else targets.push(path.join(ro.dir, 'x.csv'));
  try {
    for (const target of targets) {
      const f = runCli(['features', cap.file, '--out', target], { cwd, timeoutMs: 60_000 });
      const line = oneErrorLine(f, 5, /^lln-detect: LLN_E_OUTPUT: cannot write /);
      const rep = runCli(['replay', cap.file, '--db', 'r.db', '--csv', target, '--quiet'], { cwd, timeoutMs: 60_000 });
      const repLine = oneErrorLine(rep, 5, /^lln-detect: LLN_E_OUTPUT: cannot write /);
      // One check for both: the same reason, only the flag to change differs.
      const reason = (l: string) => l.replace(/; choose another path with .*$/, '');
      assert.equal(reason(line), reason(repLine));
    }
    if (typeof ro !== 'string') assert.deepEqual(readdirSync(ro.dir), []);
    assert.deepEqual(readdirSync(cwd).sort(), ['adir'], 'nothing created');
  } finally {
    if (typeof ro !== 'string') ro.release();
  }
});

test('features --out /dev/full and --out - > /dev/full: one line, exit 5', { skip: NO_DEV_FULL }, () => {
  const cwd = tempDir('featfull');
  oneErrorLine(runCli(['features', cap.file, '--out', '/dev/full'], { cwd, timeoutMs: 60_000 }), 5, /LLN_E_OUTPUT: cannot write \/dev\/full: no space left on device/);
  oneErrorLine(runWithStdout(['features', cap.file, '--out', '-'], '/dev/full', cwd), 5, /LLN_E_OUTPUT: cannot write standard output: no space left on device/);
});

test('replay > /dev/full: one line, exit 5, the run is committed before the summary', { skip: NO_DEV_FULL }, () => {
  const cwd = tempDir('repfull');
  oneErrorLine(runWithStdout(['replay', cap.file, '--db', 'a.db', '--csv', 'a.csv'], '/dev/full', cwd), 5, /LLN_E_OUTPUT: cannot write standard output/);
  const run = runRow(path.join(cwd, 'a.db'));
  assert.equal(run.status, 'finished');
  assert.equal(run.packets, cap.packets);
});

test('--model naming a regular file says it is a file, exit 4', () => {
  const cwd = tempDir('modelfile');
  const file = path.join(DEFAULT_MODEL, 'model.json');
  for (const cmd of ['replay', 'features']) {
    const r = runCli([cmd, cap.file, '--model', file], { cwd, timeoutMs: 60_000 });
    oneErrorLine(r, 4, /LLN_E_MODEL: --model .*model\.json is a file, not a model directory; pass its directory/);
  }
  assert.deepEqual(readdirSync(cwd), []);
});

test('a non-capture input leaves no outputs behind, as a missing file does (exit 3)', () => {
  const cwd = tempDir('notcap');
  writeFileSync(path.join(cwd, 'notes.txt'), 'this is not a capture\n'.repeat(10));
  oneErrorLine(runCli(['replay', 'notes.txt', '--jsonl', 'a.jsonl', '--scores-csv', 's.csv'], { cwd, timeoutMs: 60_000 }), 3, /LLN_E_NOT_PCAP/);
  oneErrorLine(runCli(['replay', 'missing.pcap'], { cwd, timeoutMs: 60_000 }), 3, /LLN_E_NOT_FOUND/);
  oneErrorLine(runCli(['features', 'notes.txt', '--out', 'f.csv'], { cwd, timeoutMs: 60_000 }), 3, /LLN_E_NOT_PCAP/);
  assert.deepEqual(readdirSync(cwd), ['notes.txt']);
});

test('replay onto a full disk (tmpfs): one line, exit 5, the rows before are kept and the run is marked failed', (t) => {
  // 448 KiB takes one of SQLite's bounded transactions (and the 64 KiB the sink keeps for the run's
  // last update), not the ~1,000 rows of the run's one batch.
  const m = mountTmpfs(448);
  if (typeof m === 'string') return t.skip(m);
  try {
    const cwd = tempDir('fulldisk');
    const db = path.join(m.dir, 'a.db');
    const r = runCli(['replay', cap.file, '--db', db, '--csv', 'a.csv', '--threshold', '0', '--quiet'], { cwd, timeoutMs: 120_000 });
    oneErrorLine(r, 5, /LLN_E_DB: cannot write .* the disk or the database size cap is full/);
    const run = runRow(db);
    assert.ok(run.rows > 0, 'rows committed before the disk filled are kept');
    // The CSV (another disk) got every row written, including those SQLite no longer took.
    const csv = csvRows(path.join(cwd, 'a.csv'));
    assert.ok(csv > run.rows, `the disk filled (${run.rows} of ${csv} rows)`);
    if (run.status !== 'running') {
      // the final update itself may not fit; when it does, it counts what the table holds (issue 31)
      assert.equal(run.status, 'failed');
      assert.equal(run.anomalies, run.rows, 'the run row counts the committed rows, not those scored');
    }
  } finally {
    m.release();
  }
});
