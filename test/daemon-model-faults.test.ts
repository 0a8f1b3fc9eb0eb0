import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_MODEL, runCli, tempDir } from './helpers/cli';
import { children, DaemonProcess, freePort, sleep, writeConfig } from './helpers/daemon-harness';
import { committedSample } from './helpers/samples';

/**
 * Found by the daemon fault run (bench/fuzz-daemon.ts): spool-folder files were scored with a
 * model loaded afresh from model.dir for each file. A broken model swapped into model.dir (the
 * SIGHUP that followed was refused: "reload failed, still running on model …") made every file
 * dropped afterwards fail its load; each was logged as a bad file, recorded as processed and never
 * scored again: its alerts were lost while the daemon said it was still running on its model.
 * Spool files are now scored with the model the daemon runs.
 */
const SAMPLE = committedSample('lan-portscan.pcap');
const CRASH = /\n\s+at |Unhandled|internal error|uncaught/i;

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Float32 weights all NaN, the size kept: the model's own load refuses it. */
function breakWeights(modelDir: string): void {
  const p = path.join(modelDir, 'weights.bin');
  const w = new Float32Array(new Uint8Array(readFileSync(p)).buffer).fill(NaN);
  writeFileSync(`${p}.tmp`, new Uint8Array(w.buffer));
  renameSync(`${p}.tmp`, p);
}

function dropFile(incoming: string, name: string): void {
  copyFileSync(SAMPLE, path.join(incoming, `.${name}`));
  renameSync(path.join(incoming, `.${name}`), path.join(incoming, name));
}

function rowsOf(db: string): Array<{ id: number; mode: string; sources: string; status: string; packets: number; anomalies: number; rows: number }> {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT id, mode, sources, status, packets, anomalies FROM runs ORDER BY id').all() as Array<{ id: number; mode: string; sources: string; status: string; packets: number; anomalies: number }>)
      .map((r) => ({ ...r, rows: (d.prepare('SELECT COUNT(*) AS c FROM anomalies WHERE run_id = ?').get(r.id) as { c: number }).c }));
  } finally {
    d.close();
  }
}

for (const hup of [true, false]) {
  test(`a broken model in model.dir${hup ? ' (SIGHUP refused it)' : ' (no SIGHUP yet)'}: spool files dropped after it are scored with the running model, none lost`, { timeout: 150_000 }, async () => {
    const dir = tempDir('model-faults');
    const model = path.join(dir, 'model');
    cpSync(DEFAULT_MODEL, model, { recursive: true });
    const incoming = path.join(dir, 'incoming');
    mkdirSync(incoming);
    const db = path.join(dir, 'anomalies.db');
    // What a clean replay of the file commits.
    const clean = runCli(['--log-level', 'warn', 'replay', SAMPLE, '--db', path.join(dir, 'clean.db'), '--no-csv', '--quiet'], { cwd: dir });
    assert.equal(clean.code, 0, clean.stderr);
    const want = rowsOf(path.join(dir, 'clean.db'))[0]!;
    assert.ok(want.rows > 0);

    const port = await freePort();
    const d = new DaemonProcess(writeConfig(path.join(dir, 'config.yaml'), { model, port, db, spool: incoming, settleSeconds: 0 }), port);
    await d.waitReady(90_000);
    breakWeights(model);
    if (hup) {
      const at = d.log.length;
      d.signal('SIGHUP');
      await d.waitLog(/reload failed, still running on model model@[0-9a-f]+: .*weights\.bin.*NaN or infinite/, 60_000, at);
    }
    dropFile(incoming, 'a.pcap');
    await d.waitLog(/spool: \S+a\.pcap: (run \d+|.*)/, 90_000);
    dropFile(incoming, 'b.pcap');
    await d.waitLog(/spool: \S+b\.pcap: (run \d+|.*)/, 90_000);
    await sleep(200);
    const { code } = await d.stop(60_000);
    assert.equal(code, 0, d.log);
    assert.doesNotMatch(d.log, CRASH);
    const runs = rowsOf(db).filter((r) => r.mode === 'replay');
    assert.deepEqual(runs.map((r) => [path.basename(JSON.parse(r.sources)[0]), r.status, r.packets, r.rows, r.anomalies]),
      [['a.pcap', 'finished', want.packets, want.rows, want.rows], ['b.pcap', 'finished', want.packets, want.rows, want.rows]], d.log);
    // One warning says so, not one per file.
    assert.equal(d.log.split('\n').filter((l) => /^warn: spool: the model directory .* no longer loads .*; spool files are scored with the running model model@/.test(l)).length, 1, d.log);
  });
}

test('learning on and a broken model at start: exit 4 with the model\'s one line, nothing else (no "Cannot read properties of null")', { timeout: 90_000 }, async () => {
  const dir = tempDir('model-faults-learn');
  const model = path.join(dir, 'model');
  cpSync(DEFAULT_MODEL, model, { recursive: true });
  breakWeights(model);
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, [
    'interfaces: []', `spool: {dir: ${dir}, settleSeconds: 0}`, `model: {dir: ${model}}`, `outputs: {sqlite: ${path.join(dir, 'anomalies.db')}}`, 'logging: {level: info, format: text}',
    `metrics: {listen: "127.0.0.1:${port}"}`, `stateDir: ${path.join(dir, 'state')}`, 'user: root', 'learning: {enabled: true}',
  ].join('\n') + '\n');
  const d = new DaemonProcess(config, port);
  const { code } = await d.exited;
  assert.equal(code, 4, d.log);
  assert.doesNotMatch(d.log, CRASH);
  assert.deepEqual(d.log.split('\n').filter((l) => /^(error|warn):|^lln-detect:/.test(l)).map((l) => l.replace(/: .*/, '')), ['lln-detect'], d.log);
  assert.match(d.log, /^lln-detect: LLN_E_MODEL: \S+weights\.bin .*NaN or infinite/m);
});

test('model rollback to a broken own model: the daemon keeps the current one and says so at once; the command says it was refused, not a 30-s timeout', { timeout: 120_000 }, async () => {
  const dir = tempDir('model-faults-rollback');
  const state = path.join(dir, 'state');
  const cur = '20260102T000000Z-aaaaaaaaaaaa', prev = '20260101T000000Z-bbbbbbbbbbbb';
  mkdirSync(path.join(state, 'models'), { recursive: true, mode: 0o700 });
  cpSync(DEFAULT_MODEL, path.join(state, 'models', cur), { recursive: true });
  cpSync(DEFAULT_MODEL, path.join(state, 'models', prev), { recursive: true });
  breakWeights(path.join(state, 'models', prev)); // the right size: only loading it finds the NaNs
  const now = new Date().toISOString();
  writeFileSync(path.join(state, 'learn-state.json'), JSON.stringify({
    version: 1, state: 'detecting', learningSince: now, current: cur, previous: prev, lastTrainingAt: now, lastTrainingResult: 'test', nextRetrainAt: new Date(Date.now() + 86_400_000).toISOString(),
  }), { mode: 0o600 });
  const incoming = path.join(dir, 'incoming');
  mkdirSync(incoming);
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, [
    'interfaces: []', `spool: {dir: ${incoming}, settleSeconds: 0}`, `outputs: {sqlite: ${path.join(dir, 'anomalies.db')}}`, 'logging: {level: info, format: text}',
    `metrics: {listen: "127.0.0.1:${port}"}`, `stateDir: ${state}`, 'user: root', 'learning: {enabled: true}',
  ].join('\n') + '\n');
  const d = new DaemonProcess(config, port);
  await d.waitReady(90_000);
  await d.waitLog(/lifecycle: detecting, resumed/, 10_000);
  await sleep(2500); // status.json written (the command asks only a running daemon)
  const t0 = Date.now();
  const r = runCli(['model', 'rollback', '--state-dir', state], { timeoutMs: 60_000 });
  const ms = Date.now() - t0;
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^lln-detect: LLN_E_MODEL: the daemon refused the rollback: the previous model ${prev} does not load \\(.*weights\\.bin is broken: .*NaN or infinite.*\\); still on ${cur}\\n$`));
  assert.ok(ms < 20_000, `answered in ${ms} ms`);
  await d.waitLog(new RegExp(`^error: model rollback: the previous model ${prev} does not load .*; still on ${cur}$`, 'm'), 10_000);
  assert.doesNotMatch(d.log, /^error: failed: /m);
  assert.equal(JSON.parse(readFileSync(path.join(state, 'learn-state.json'), 'utf8')).current, cur);
  const { code } = await d.stop(60_000);
  assert.equal(code, 0, d.log);
  assert.doesNotMatch(d.log, CRASH);
});

test('a damaged previous own model at start: skipped with a line that does not send the operator to model rollback; model rollback then says there is none', { timeout: 120_000 }, async () => {
  const dir = tempDir('model-faults-prev');
  const state = path.join(dir, 'state');
  const cur = '20260102T000000Z-aaaaaaaaaaaa', prev = '20260101T000000Z-bbbbbbbbbbbb';
  mkdirSync(path.join(state, 'models'), { recursive: true, mode: 0o700 });
  cpSync(DEFAULT_MODEL, path.join(state, 'models', cur), { recursive: true });
  cpSync(DEFAULT_MODEL, path.join(state, 'models', prev), { recursive: true });
  const th = path.join(state, 'models', prev, 'threshold.json');
  writeFileSync(th, JSON.stringify({ ...JSON.parse(readFileSync(th, 'utf8')), value: 1.7 }));
  const now = new Date().toISOString();
  writeFileSync(path.join(state, 'learn-state.json'), JSON.stringify({
    version: 1, state: 'detecting', learningSince: now, current: cur, previous: prev, lastTrainingAt: now, lastTrainingResult: 'test', nextRetrainAt: new Date(Date.now() + 86_400_000).toISOString(),
  }), { mode: 0o600 });
  const incoming = path.join(dir, 'incoming');
  mkdirSync(incoming);
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, [
    'interfaces: []', `spool: {dir: ${incoming}, settleSeconds: 0}`, `outputs: {sqlite: ${path.join(dir, 'anomalies.db')}}`, 'logging: {level: info, format: text}',
    `metrics: {listen: "127.0.0.1:${port}"}`, `stateDir: ${state}`, 'user: root', 'learning: {enabled: true}',
  ].join('\n') + '\n');
  const d = new DaemonProcess(config, port);
  await d.waitReady(90_000);
  const skipped = d.log.split('\n').filter((l) => l.startsWith('error: model store: skipping'));
  assert.equal(skipped.length, 1, d.log);
  assert.match(skipped[0]!, new RegExp(`^error: model store: skipping ${prev} \\(previous\\): threshold\\.json has value 1\\.7, outside \\[0, 1\\]; it cannot be rolled back to; remove \\S+${prev} \\(lln-detect model list shows the store\\)$`));
  assert.doesNotMatch(skipped[0]!, /run lln-detect model rollback/);
  await sleep(2500);
  const r = runCli(['model', 'rollback', '--state-dir', state], { timeoutMs: 60_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^lln-detect: LLN_E_USAGE: no previous own model to roll back to \\(in use: ${cur}\\)`));
  const { code } = await d.stop(60_000);
  assert.equal(code, 0, d.log);
});
