import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readdirSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL, runCli, tempDir } from './helpers/cli';
import { children, DaemonProcess, freePort, sleep } from './helpers/daemon-harness';
import { editJson, editWeights } from './helpers/model-edits';
import { committedSample } from './helpers/samples';
import { replayRuns } from './helpers/replay-runs';

/**
 * Issue 31: a broken model must never make the daemon blind. Each kind of broken model the fault
 * run (bench/fuzz-daemon.ts) injects, through SIGHUP and through the learning store: the running
 * (or the configured/shipped) model keeps scoring, with one log line naming the broken file, and
 * a capture dropped into the spool folder afterwards is scored in full.
 */
const SAMPLE = committedSample('lan-portscan.pcap');
const CRASH = /\n\s+at |Unhandled|internal error|uncaught/i;

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

const BROKEN: Array<{ name: string; corrupt: (dir: string) => void; says: RegExp }> = [
  { name: 'weights all NaN', corrupt: (d) => editWeights(d, (w) => w.fill(NaN)), says: /weights\.bin.*NaN or infinite/ },
  { name: 'weights all 0xFF', corrupt: (d) => writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(statSync(path.join(d, 'weights.bin')).size, 0xff)), says: /weights\.bin.*NaN or infinite/ },
  { name: 'weights cut to a third', corrupt: (d) => truncateSync(path.join(d, 'weights.bin'), Math.floor(statSync(path.join(d, 'weights.bin')).size / 3)), says: /weights\.bin/ },
  { name: 'threshold -0.2', corrupt: (d) => editJson(d, 'threshold.json', (j) => { j.value = -0.2; }), says: /threshold\.json.*-0\.2, outside \[0, 1\]/ },
  { name: 'threshold 1.7', corrupt: (d) => editJson(d, 'threshold.json', (j) => { j.value = 1.7; }), says: /threshold\.json.*1\.7, outside \[0, 1\]/ },
  { name: 'scaler std 0', corrupt: (d) => editJson(d, 'scaler.json', (j) => { j.std = (j.std as number[]).map(() => 0); }), says: /scaler\.json.*std is 0/ },
  { name: 'scaler std null', corrupt: (d) => editJson(d, 'scaler.json', (j) => { j.std = (j.std as number[]).map(() => null); }), says: /scaler\.json.*std must be/ },
  { name: 'scaler names renamed', corrupt: (d) => editJson(d, 'scaler.json', (j) => { j.names = (j.names as string[]).map((n) => `${n}_x`); }), says: /scaler\.json.*different feature names/ },
];

function broken(root: string, i: number): string {
  const dir = path.join(root, `broken-${i}`);
  cpSync(DEFAULT_MODEL, dir, { recursive: true });
  BROKEN[i]!.corrupt(dir);
  return dir;
}

/** Each file by write-then-rename, as a deploy would. */
function swapModelFiles(src: string, dst: string): void {
  for (const f of readdirSync(src)) {
    copyFileSync(path.join(src, f), path.join(dst, `.${f}.tmp`));
    renameSync(path.join(dst, `.${f}.tmp`), path.join(dst, f));
  }
}

function dropFile(incoming: string, name: string): void {
  copyFileSync(SAMPLE, path.join(incoming, `.${name}`));
  renameSync(path.join(incoming, `.${name}`), path.join(incoming, name));
}

/** What a clean replay of the sample commits with the shipped model: [packets, anomaly rows]. */
function cleanReplay(dir: string): [number, number] {
  const db = path.join(dir, 'clean.db');
  const r = runCli(['--log-level', 'warn', 'replay', SAMPLE, '--db', db, '--no-csv', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [[, , packets, rows]] = replayRuns(db).map((x) => x) as Array<[string, string, number, number]>;
  assert.ok(rows > 0);
  return [packets, rows];
}

function config(dir: string, port: number, extra: string[]): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, [
    'interfaces: []', `spool: {dir: ${path.join(dir, 'incoming')}, settleSeconds: 0}`, `outputs: {sqlite: ${path.join(dir, 'anomalies.db')}}`,
    'logging: {level: info, format: text}', `metrics: {listen: "127.0.0.1:${port}"}`, `stateDir: ${path.join(dir, 'state')}`, 'user: root', ...extra,
  ].join('\n') + '\n');
  return file;
}

test('SIGHUP with each kind of broken model: refused with one line naming the file, the running model keeps scoring (a spool file after it is scored in full); the good model back: reloaded', { timeout: 150_000 }, async () => {
  const dir = tempDir('broken-models-hup');
  const [packets, rows] = cleanReplay(dir);
  const model = path.join(dir, 'model');
  cpSync(DEFAULT_MODEL, model, { recursive: true });
  mkdirSync(path.join(dir, 'incoming'));
  const port = await freePort();
  const d = new DaemonProcess(config(dir, port, [`model: {dir: ${model}}`]), port);
  await d.waitReady(90_000);
  const id = /^info: model (model@[0-9a-f]+) /m.exec(d.log)![1]!;
  for (let i = 0; i < BROKEN.length; i++) {
    const b = BROKEN[i]!;
    swapModelFiles(broken(dir, i), model);
    const at = d.log.length;
    d.signal('SIGHUP');
    await d.waitLog(/reload failed|reloaded: model/, 60_000, at);
    await sleep(100);
    const lines = d.log.slice(at).split('\n').filter((l) => /^(error|warn):|^lln-detect:/.test(l) && !/^warn: spool: the model directory/.test(l));
    assert.equal(lines.length, 1, `${b.name}: one line, got:\n${lines.join('\n')}`);
    assert.match(lines[0]!, new RegExp(`^error: reload failed, still running on model ${id}: `), b.name);
    assert.match(lines[0]!, b.says, b.name);
  }
  // Not blind: a capture dropped now is scored by the running model, in full.
  dropFile(path.join(dir, 'incoming'), 'after.pcap');
  await d.waitLog(/spool: \S+after\.pcap: run \d+/, 90_000);
  swapModelFiles(DEFAULT_MODEL, model);
  const at = d.log.length;
  d.signal('SIGHUP');
  await d.waitLog(/reloaded: model model@[0-9a-f]+/, 60_000, at);
  const { code } = await d.stop(60_000);
  assert.equal(code, 0, d.log);
  assert.doesNotMatch(d.log, CRASH);
  assert.deepEqual(replayRuns(path.join(dir, 'anomalies.db')), [['after.pcap', 'finished', packets, rows]]);
});

for (const i of [0, 7]) {
  test(`the learning store's current own model with ${BROKEN[i]!.name} (it passes the store's file check, only loading finds it): one line, the shipped model scores, a spool file is scored in full`, { timeout: 120_000 }, async () => {
    const dir = tempDir('broken-models-store');
    const [packets, rows] = cleanReplay(dir);
    const state = path.join(dir, 'state');
    const name = '20260101T000000Z-000000000000';
    mkdirSync(path.join(state, 'models'), { recursive: true, mode: 0o700 });
    cpSync(broken(dir, i), path.join(state, 'models', name), { recursive: true });
    const now = new Date().toISOString();
    writeFileSync(path.join(state, 'learn-state.json'), JSON.stringify({
      version: 1, state: 'detecting', learningSince: now, current: name, previous: null, lastTrainingAt: now, lastTrainingResult: 'test', nextRetrainAt: new Date(Date.now() + 86_400_000).toISOString(),
    }), { mode: 0o600 });
    mkdirSync(path.join(dir, 'incoming'));
    const port = await freePort();
    const d = new DaemonProcess(config(dir, port, ['learning: {enabled: true}']), port);
    await d.waitReady(90_000);
    const lines = d.log.split('\n').filter((l) => /^(error|warn):|^lln-detect:/.test(l));
    assert.equal(lines.length, 1, d.log);
    assert.match(lines[0]!, new RegExp(`^error: own model \\S+${name} does not load, scoring with the shipped model: `));
    assert.match(lines[0]!, BROKEN[i]!.says);
    dropFile(path.join(dir, 'incoming'), 'a.pcap');
    await d.waitLog(/spool: \S+a\.pcap: run \d+/, 90_000);
    const { code } = await d.stop(60_000);
    assert.equal(code, 0, d.log);
    assert.doesNotMatch(d.log, CRASH);
    assert.deepEqual(replayRuns(path.join(dir, 'anomalies.db')), [['a.pcap', 'finished', packets, rows]]);
  });
}
