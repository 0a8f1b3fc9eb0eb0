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
