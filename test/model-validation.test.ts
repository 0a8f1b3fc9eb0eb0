import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir, DEFAULT_MODEL } from './helpers/cli';
import { committedSample } from './helpers/samples';
import { isLlnError } from '../src/errors';
import { modelDirProblem } from '../src/learn/model-store';
import { openModel } from '../src/daemon/daemon-model';
import type { DaemonConfig } from '../src/daemon/config-schema';
import { setLogLevel } from '../src/logger';
import { editJson, editWeights } from './helpers/model-edits';

/**
 * A broken model must fail its load with one clear line and exit 4, never load and score
 * blind (every score NaN → -1, no alert) nor print its error and hang (the scoring worker).
 */
setLogLevel('warn');
const root = tempDir('model-validation');
const CAPTURE = committedSample('lan-portscan.pcap');

/** A copy of the shipped model with `corrupt` applied to it. */
function brokenModel(name: string, corrupt: (dir: string) => void): string {
  const dir = path.join(root, name);
  cpSync(DEFAULT_MODEL, dir, { recursive: true });
  corrupt(dir);
  return dir;
}


const CASES: Array<{ name: string; corrupt: (dir: string) => void; file: string; code: string; says: RegExp }> = [
  { name: 'weights.bin all 0xFF', corrupt: (d) => writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(readFileSync(path.join(d, 'weights.bin')).length, 0xff)),
    file: 'weights.bin', code: 'LLN_E_MODEL', says: /NaN or infinite/ },
  { name: 'weights.bin all NaN', corrupt: (d) => editWeights(d, (w) => w.fill(NaN)), file: 'weights.bin', code: 'LLN_E_MODEL', says: /NaN or infinite/ },
  { name: 'weights.bin all Infinity', corrupt: (d) => editWeights(d, (w) => w.fill(Infinity)), file: 'weights.bin', code: 'LLN_E_MODEL', says: /NaN or infinite/ },
  { name: 'weights.bin partly NaN', corrupt: (d) => editWeights(d, (w) => { for (let i = 5; i < w.length; i += 97) w[i] = NaN; }),
    file: 'weights.bin', code: 'LLN_E_MODEL', says: /\d+ of \d+ weights are NaN or infinite/ },
  { name: 'weights.bin finite but overflowing (the probe)', corrupt: (d) => editWeights(d, (w) => w.fill(1e38)),
    file: 'weights.bin', code: 'LLN_E_MODEL', says: /the model .* for a test window/ },
  { name: 'threshold -0.2', corrupt: (d) => editJson(d, 'threshold.json', (j) => { j.value = -0.2; }), file: 'threshold.json', code: 'LLN_E_MODEL', says: /-0\.2, outside \[0, 1\]/ },
  { name: 'threshold 1.7', corrupt: (d) => editJson(d, 'threshold.json', (j) => { j.value = 1.7; }), file: 'threshold.json', code: 'LLN_E_MODEL', says: /1\.7, outside \[0, 1\]/ },
  { name: 'scaler std all 0', corrupt: (d) => editJson(d, 'scaler.json', (j) => { j.std = (j.std as number[]).map(() => 0); }),
    file: 'scaler.json', code: 'LLN_E_MODEL', says: /std is 0 for every continuous feature/ },
  { name: 'scaler std null', corrupt: (d) => editJson(d, 'scaler.json', (j) => { j.std = (j.std as number[]).map(() => null); }),
    file: 'scaler.json', code: 'LLN_E_MODEL', says: /std must be \d+ finite numbers/ },
  { name: 'scaler feature names changed', corrupt: (d) => editJson(d, 'scaler.json', (j) => { j.names = (j.names as string[]).map((n) => `${n}_x`); }),
    file: 'scaler.json', code: 'LLN_E_SCHEMA_MISMATCH', says: /different feature names/ },
];

for (const c of CASES) {
  for (const worker of [true, false]) {
    test(`replay refuses a model with ${c.name}${worker ? '' : ' (--no-worker)'}: exit 4, one line, no hang`, () => {
      const dir = brokenModel(`${c.name.replace(/\W+/g, '-')}-${worker ? 'w' : 'nw'}`, c.corrupt);
      const args = ['--log-level', 'warn', 'replay', CAPTURE, '--model', dir, '--no-db', '--quiet', ...(worker ? [] : ['--no-worker'])];
      const r = runCli(args, { cwd: root, timeoutMs: 20_000 });
      assert.notEqual(r.code, null, `hung (killed after 20 s); stderr: ${r.stderr}`);
      assert.equal(r.code, 4, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
      assert.ok(lines[0].startsWith(`lln-detect: ${c.code}: ${path.join(dir, c.file)}`), lines[0]);
      assert.match(lines[0], c.says);
      assert.match(lines[0], /; (retrain|recalibrate)/, 'says what to do');
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
}

test('thresholds of exactly 0 and 1, and constant features in the scaler, still load', () => {
  const dir = brokenModel('edges', (d) => editJson(d, 'threshold.json', (j) => { j.value = 1; }));
  // The shipped scaler already has constant (std 0) features; one more continuous one is fine.
  editJson(dir, 'scaler.json', (j) => { (j.std as number[])[0] = 0; });
  for (const value of [1, 0]) {
    editJson(dir, 'threshold.json', (j) => { j.value = value; });
    const r = runCli(['--log-level', 'warn', 'replay', CAPTURE, '--model', dir, '--no-db', '--quiet'], { cwd: root, timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  }
});

test('the daemon opens models (SIGHUP, learned models, rollback) through the same checked load', async () => {
  // daemon.reloadNow / adopt call openModel and keep the old model on a throw (one log line).
  const dir = brokenModel('daemon-nan', (d) => editWeights(d, (w) => w.fill(NaN)));
  const cfg = { model: { dir } } as unknown as DaemonConfig;
  const got = await openModel(cfg).catch((e: unknown) => e);
  if (!isLlnError(got)) await (got as { scorer: { dispose(): Promise<void> } }).scorer?.dispose(); // a regression must not leave a worker
  assert.ok(isLlnError(got) && got.code === 'LLN_E_MODEL' && got.message.includes(path.join(dir, 'weights.bin')), String(got));
});

test('the model store (model list, rollback) refuses a threshold outside [0, 1] without loading tfjs', () => {
  const dir = brokenModel('store-threshold', (d) => editJson(d, 'threshold.json', (j) => { j.value = 1.7; }));
  assert.match(modelDirProblem(dir) ?? '', /outside \[0, 1\]/);
  assert.equal(modelDirProblem(DEFAULT_MODEL), null);
});
