import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CLI, tempDir } from './helpers/cli';
import { makeCapture, recordEnds } from './helpers/capture-fixture';

let capture: { bytes: Buffer; ends: number[] };

before(async () => {
  const fx = await makeCapture(tempDir('sigfx'), 4000, 11);
  capture = recordEnds(fx.file);
});

/** The CLI reading a capture from a pipe the test writes, so the test decides what has arrived. */
function spawnOnPipe(args: string[], cwd: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LLN_LOG_FORMAT: 'text' } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  child.stdin!.on('error', () => {}); // the child may stop reading first
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** Poll a condition (a file, a log line) until it holds; fails after a generous deadline, never races load. */
async function waitFor(what: string, cond: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function runStarted(db: string): boolean {
  if (!existsSync(db)) return false;
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT COUNT(*) AS c FROM runs').get() as { c: number }).c > 0;
    } finally {
      d.close();
    }
  } catch {
    return false; // still being created
  }
}

test('SIGTERM mid-replay with a record half-read: exit 130, run interrupted, no false LLN_E_TRUNCATED', async () => {
  const cwd = tempDir('sigtrunc');
  const p = spawnOnPipe(['replay', '-', '--db', 'a.db', '--csv', 'a.csv', '--scores-csv', 's.csv', '--quiet'], cwd);
  const { bytes, ends } = capture;
  const complete = 3000;
  // Every complete record up to `complete`, then half of the next one, and the pipe stays open.
  p.child.stdin!.write(bytes.subarray(0, ends[complete] + Math.floor((ends[complete + 1] - ends[complete]) / 2)));
  await waitFor('the run row', () => runStarted(path.join(cwd, 'a.db')));
  p.child.kill('SIGTERM');
  const code = await p.exited;
  p.child.stdin!.destroy();
  assert.equal(code, 130, p.stderr());
  assert.doesNotMatch(p.stderr(), /LLN_E_TRUNCATED|cut short/, 'stopping is not truncation');
  const d = new Database(path.join(cwd, 'a.db'), { readonly: true });
  const run = d.prepare('SELECT status, packets FROM runs').get() as { status: string; packets: number };
  d.close();
  assert.equal(run.status, 'interrupted');
  assert.ok(run.packets > 0 && run.packets <= complete, `packets ${run.packets}`);
  assert.equal(readFileSync(path.join(cwd, 's.csv'), 'utf8').trim().split('\n').length - 1, run.packets);
});

test('SIGTERM while replay is starting (model loaded, no input yet): exit 130, nothing written', async () => {
  const cwd = tempDir('sigstart');
  const p = spawnOnPipe(['replay', '-', '--db', 'a.db', '--csv', 'a.csv'], cwd);
  await waitFor('the model to load', () => /model .* on /.test(p.stderr()));
  p.child.kill('SIGTERM');
  const code = await p.exited;
  p.child.stdin!.destroy();
  assert.equal(code, 130, p.stderr());
  assert.doesNotMatch(p.stderr(), /\n\s+at /);
  assert.deepEqual(readdirSync(cwd), []);
});

test('SIGTERM mid-features: exit 130, the rows read so far are written whole', async () => {
  const cwd = tempDir('sigfeat');
  const p = spawnOnPipe(['features', '-', '--out', 'f.csv', '--raw'], cwd);
  const { bytes, ends } = capture;
  p.child.stdin!.write(bytes.subarray(0, ends[2000] + 5));
  const out = path.join(cwd, 'f.csv');
  // Rows are written in 64 KiB chunks: wait until the first chunk is out.
  await waitFor('the first rows', () => existsSync(out) && readFileSync(out).length > 0);
  p.child.kill('SIGTERM');
  const code = await p.exited;
  p.child.stdin!.destroy();
  assert.equal(code, 130, p.stderr());
  assert.doesNotMatch(p.stderr(), /LLN_E_TRUNCATED/);
  const text = readFileSync(out, 'utf8');
  assert.ok(text.endsWith('\n'), 'no half row');
  const rows = text.trim().split('\n').length - 1;
  assert.ok(rows > 0 && rows <= 2000, `rows ${rows}`);
});
