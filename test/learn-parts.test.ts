import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PcapWriter } from '../src/capture/pcap-writer';
import type { RawPacket } from '../src/capture/raw-packet';
import { isLlnError } from '../src/errors';
import { parseDuration, parseSize } from '../src/learn/duration';
import { readState, writeState, freshState } from '../src/learn/learn-state';
import { commitModel, findModel, listModels, removeIncoming, storeDir } from '../src/learn/model-store';
import { TrainingSpool, listSpoolFiles } from '../src/learn/training-spool';
import { statusText } from '../src/cli/learn-commands';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../src/paths';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { SCHEMA_VERSION } from '../src/outputs/sqlite-schema';
import type { AnomalyRecord, IncidentRecord, RunRecord } from '../src/outputs/records';
import { runCli } from './helpers/cli';
import { learnerFor as sharedLearnerFor } from './helpers/learner-for';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-learnparts-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function packets(n: number, t0: number, size = 200): RawPacket[] {
  return Array.from({ length: n }, (_, i) => ({
    frame: i + 1, tsSec: t0 + Math.floor(i / 100), tsNsec: (i % 100) * 1e7, tsDigits: 6, capLen: size, origLen: size, linkType: 1, interfaceId: 0, data: new Uint8Array(size).fill(i & 0xff), source: 'x',
  }));
}
const dirBytes = (d: string) => readdirSync(d).reduce((n, f) => n + statSync(path.join(d, f)).size, 0);

test('the training spool never holds more than its cap; the oldest files go first', () => {
  const dir = path.join(tmp, 'spool-cap');
  const cap = 300_000;
  const spool = new TrainingSpool({ dir, maxBytes: cap, maxAgeMs: 86400e3, fileSeconds: 3600, maxFileBytes: 64e6 });
  const t0 = Math.floor(Date.now() / 1000);
  for (let b = 0; b < 40; b++) {
    spool.write(packets(100, t0 + b));
    assert.ok(spool.totals().bytes <= cap, `accounted ${spool.totals().bytes} ≤ ${cap}`);
    assert.ok(dirBytes(dir) <= cap, `on disk ${dirBytes(dir)} ≤ ${cap}`);
  }
  spool.close();
  assert.ok(dirBytes(dir) <= cap);
  const files = listSpoolFiles(dir);
  assert.ok(files.length >= 3, 'rotated into several files');
  // 40 × 100 packets of 216 bytes = 864 kB went in: only the newest part is left.
  assert.ok(files[0]!.startMs > t0 * 1000, 'the oldest packets were dropped');
  assert.equal(files.reduce((n, f) => n + f.packets, 0), spool.totals().packets);
});

test('the training spool drops files older than maxAge', () => {
  const dir = path.join(tmp, 'spool-age');
  const t0 = Date.now();
  let now = t0;
  const spool = new TrainingSpool({ dir, maxBytes: 10e6, maxAgeMs: 60_000, fileSeconds: 1, maxFileBytes: 64e6, now: () => now });
  spool.write(packets(10, Math.floor(t0 / 1000)));
  now += 2000;
  spool.write(packets(10, Math.floor(t0 / 1000) + 40)); // a new file: the first one is older than fileSeconds
  spool.rotate();
  assert.equal(listSpoolFiles(dir).length, 2);
  now = t0 + 70_000; // the first file's packets are 70 s old, the second's 30 s
  spool.tick();
  assert.equal(listSpoolFiles(dir).length, 1);
});

test('a .part file left by a crash keeps its complete records; a torn last record is cut', async () => {
  const dir = path.join(tmp, 'spool-part');
  mkdirSync(dir, { recursive: true });
  const t0 = 1_700_000_000;
  const part = path.join(dir, `${t0 * 1000}.pcap.part`);
  const w = new PcapWriter(part, { linkType: 1 });
  for (const p of packets(5, t0, 100)) w.write(p.tsSec, p.tsNsec, p.data);
  await w.close();
  truncateSync(part, statSync(part).size - 50); // the last record torn
  const spool = new TrainingSpool({ dir, maxBytes: 10e6, maxAgeMs: 1e15, fileSeconds: 3600, maxFileBytes: 64e6 });
  const files = listSpoolFiles(dir);
  assert.equal(files.length, 1);
  assert.equal(files[0]!.packets, 4);
  assert.equal(statSync(files[0]!.file).size, 24 + 4 * 116);
  assert.equal(spool.totals().packets, 4);
});

test('a damaged learn-state.json is one clear error saying what to do', () => {
  const dir = path.join(tmp, 'state-bad');
  mkdirSync(dir, { recursive: true });
  assert.equal(readState(dir), null, 'none yet: a fresh install');
  writeState(dir, freshState());
  assert.equal(readState(dir)!.state, 'learning');
  writeFileSync(path.join(dir, 'learn-state.json'), '{"version": 1, "state": "sleep');
  assert.throws(() => readState(dir), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_UNREADABLE' && /learn-state\.json is damaged \(.*\); remove it to start learning again/.test(e.message));
  assert.match(statusText(path.join(tmp, 'nothing-here')), /no learning state in .*nothing-here/);
});

test('the model store: committed names, damaged directories skipped with the reason, unfinished ones removed', () => {
  const dir = path.join(tmp, 'store');
  mkdirSync(storeDir(dir), { recursive: true });
  const incoming = path.join(storeDir(dir), '.incoming-1');
  cpSync(DEFAULT_MODEL_DIR, incoming, { recursive: true });
  const name = commitModel(dir, incoming, new Date('2026-01-02T03:04:05.678Z'));
  assert.match(name, /^20260102T030405Z-[0-9a-f]{12}$/);
  const broken = path.join(storeDir(dir), '20260103T000000Z-000000000000');
  cpSync(path.join(storeDir(dir), name), broken, { recursive: true });
  truncateSync(path.join(broken, 'weights.bin'), 100);
  const skipped: string[] = [];
  const models = listModels(dir, (n, why) => skipped.push(`${n}: ${why}`));
  assert.deepEqual(models.map((m) => m.name), [name]);
  assert.match(skipped[0]!, /^20260103T000000Z-000000000000: weights\.bin has 100 bytes, model\.json describes \d+$/);
  assert.ok('problem' in findModel(dir, '20260103T000000Z-000000000000'));
  mkdirSync(path.join(storeDir(dir), '.incoming-2'));
  assert.equal(removeIncoming(dir), 1);
  assert.deepEqual(readdirSync(storeDir(dir)).sort(), [name, '20260103T000000Z-000000000000'].sort());
});

test('durations and sizes as the config writes them', () => {
  assert.equal(parseDuration('7d'), 7 * 86400e3);
  assert.equal(parseDuration('90s'), 90e3);
  assert.equal(parseDuration('soon'), null);
  assert.equal(parseSize('2GB'), 2e9);
  assert.equal(parseSize('1GiB'), 2 ** 30);
  assert.equal(parseSize('lots'), null);
});

test('provisional alerts (schema v5): written by SqliteSink, filtered by the docs query in the sqlite3 CLI', { skip: spawnSync('sqlite3', ['-version']).status === 0 ? false : 'sqlite3 CLI missing: skipping' }, () => {
  const db = path.join(tmp, 'prov.db');
  const sink = new SqliteSink(db);
  assert.equal(sink.schemaVersion(), SCHEMA_VERSION);
  const run: RunRecord = { id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'daemon', sources: ['x'], modelId: 'm', modelSha256: '', threshold: 0.9, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running' };
  run.id = sink.startRun(run);
  const row = (frame: number, provisional: boolean): AnomalyRecord => ({
    runId: run.id, frame, ts: 1_700_000_000 + frame, tsIso: '', source: 'x', interfaceId: 0, srcMac: null, dstMac: null, srcIp: '10.0.0.1', dstIp: '10.0.0.2',
    srcPort: 1, dstPort: 2, protocol: 'TCP', length: 60, score: 0.95, threshold: 0.9, incidentId: 0, attentionFrame: frame, topFeatures: '', communityId: null, provisional,
  });
  sink.writeAnomalies([row(1, true), row(2, true), row(3, false)]);
  sink.close();
  const md = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'sqlite.md'), 'utf8');
  const sql = /<!-- query: not-provisional -->\s*```sql\n([\s\S]*?)```/.exec(md)![1]!;
  const out = JSON.parse(execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8' })) as { src_ip: string }[];
  assert.equal(out.length, 1, 'only the own model’s alert');
});

const learnerFor = (name: string) => sharedLearnerFor(tmp, name);

test('status says how many of the 24 h alerts were provisional (written while learning) and how many the own model raised', async () => {
  // Seen on main after learning: "alerts 24h: 1971", not a word that the learning period wrote them.
  const l = learnerFor('status-prov');
  const now = Date.now() / 1000;
  try {
    for (let i = 0; i < 1961; i++) l.learner.noteAnomaly(now - 3600, true);
    for (let i = 0; i < 10; i++) l.learner.noteAnomaly(now, false);
    l.learner.noteAnomaly(now - 30 * 3600, true); // older than 24 h
  } finally {
    await l.close(); // writes status.json
  }
  writeState(l.state, { ...freshState(), state: 'detecting', current: '20261202T050327Z-91a880fc2eb6' });
  assert.match(statusText(l.state), /^alerts 24h:\s+1971: 1961 provisional \(written while learning\), 10 by the own model$/m);
  // The model in use states its promise in false incidents when its training measured one (the shipped model's predates it).
  assert.doesNotMatch(statusText(l.state), /^promise:/m);
  const snap0 = JSON.parse(readFileSync(path.join(l.state, 'status.json'), 'utf8'));
  const own = path.join(l.state, 'own-model');
  mkdirSync(own, { recursive: true });
  writeFileSync(path.join(own, 'threshold.json'), JSON.stringify({ value: 0.99, method: 'target-fpr', falseIncidents: { count: 0, heldOutSeconds: 7.2 * 3600, perDay: 0, perDayAtMost: 10 } }));
  writeFileSync(path.join(l.state, 'status.json'), JSON.stringify({ ...snap0, model: { ...snap0.model, dir: own } }));
  assert.match(statusText(l.state), /^promise:\s+threshold 0\.9900: 0 false incidents in 7\.2 h of held-out benign traffic \(at most 10\.0 a day, 95%\)$/m);
  // Next to the promise, what the own models raised in the last 24 h (provisional and older incidents left out).
  writeFileSync(path.join(l.state, 'incidents.json'), JSON.stringify([
    { key: '1:1', startTs: now - 600, endTs: now - 500, provisional: false, packets: 40 },
    { key: '1:2', startTs: now - 7200, endTs: now - 7100, provisional: false, packets: 3 },
    { key: '1:3', startTs: now - 3600, endTs: now - 3500, provisional: true, packets: 9 },
    { key: '1:4', startTs: now - 30 * 3600, endTs: now - 30 * 3600 + 5, provisional: false, packets: 9 },
  ]));
  writeFileSync(path.join(l.state, 'status.json'), JSON.stringify({ ...snap0, model: { ...snap0.model, dir: own, own: true } }));
  assert.match(statusText(l.state), /^measured:\s+2 incidents in the last 24 h by own models, true and false alike/m);
  const snap = JSON.parse(readFileSync(path.join(l.state, 'status.json'), 'utf8'));
  writeFileSync(path.join(l.state, 'status.json'), JSON.stringify({ ...snap, alertsByHour: { [Math.floor(now / 3600)]: 7 }, provisionalByHour: { [Math.floor(now / 3600)]: 7 } }));
  assert.match(statusText(l.state), /^alerts 24h:\s+7, all provisional \(written while learning, before an own model\)$/m);
  writeFileSync(path.join(l.state, 'status.json'), JSON.stringify({ ...snap, alertsByHour: { [Math.floor(now / 3600)]: 7 }, provisionalByHour: {} }));
  assert.match(statusText(l.state), /^alerts 24h:\s+7$/m);
});

test('status with a fixed model (model.dir, or learning.enabled: false) says so, not "a fresh install starts learning"', () => {
  const state = path.join(tmp, 'status-fixed');
  const cfg = (name: string, extra: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, `spool: {dir: ${tmp}}\nstateDir: ${state}\nuser: root\n${extra}`);
    return file;
  };
  const fixed = runCli(['status', '--config', cfg('fixed.yaml', `model: {dir: ${DEFAULT_MODEL_DIR}}\n`)], { timeoutMs: 30_000 });
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.doesNotMatch(fixed.stdout, /fresh install|no learning state/);
  assert.match(fixed.stdout, new RegExp(`^state:\\s+not learning: the daemon runs the fixed model ${DEFAULT_MODEL_DIR} and does not learn \\(model\\.dir is set; learning\\.enabled: true would learn, starting from it\\)$`, 'm'));
  const off = runCli(['status', '--config', cfg('off.yaml', 'learning: {enabled: false}\n')], { timeoutMs: 30_000 });
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /^state:\s+not learning: the daemon runs the fixed model \S+models\/default and does not learn \(learning\.enabled: false\)$/m);
  // learning on (no model.dir): a fresh install, as before.
  const fresh = runCli(['status', '--config', cfg('fresh.yaml', '')], { timeoutMs: 30_000 });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /a fresh install starts learning on its first start/);
});

test('learn --reset during a training: the training is cancelled, not a model refused', async () => {
  // Seen on main: "new model refused … the training process ended (SIGKILL) without a result".
  const l = learnerFor('reset-cancel');
  try {
    const requests = path.join(l.state, 'requests');
    mkdirSync(requests, { recursive: true });
    writeFileSync(path.join(requests, 'learn-now'), '');
    l.learner.verdictWaitSeconds = 0;
    l.learner.tick(); // waits 0 s for the verdicts, forks the training child
    assert.match(l.lines.join('\n'), /training: requested \(learn --now\) started/);
    writeFileSync(path.join(requests, 'reset'), '');
    l.learner.tick(); // kills it long before it could load TensorFlow.js
    const end = Date.now() + 20_000;
    while (!l.lines.some((x) => /learn --reset: spool cleared/.test(x)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const log = l.lines.join('\n');
    assert.match(log, /^training: requested \(learn --now\): training cancelled by learn --reset after \d+s$/m);
    assert.doesNotMatch(log, /refused|without a result/);
    assert.deepEqual(l.adopted, ['learn --reset: back to the shipped model']);
    assert.doesNotMatch(await l.metrics.registry.metrics(), /^lln_trainings_total\{result="refused"\} [1-9]/m);
    assert.match(await l.metrics.registry.metrics(), /^lln_training_running 0$/m);
    assert.equal(readState(l.state)!.lastTrainingResult, null);
  } finally {
    await l.close();
  }
});

test('learn --now waits for the spooled packets’ verdicts: an incident reported during the look-back is left out', async () => {
  // Issue 33: learn --now 5 s after a scan trained on it, "(0 incident span(s) left out …)": the scan's
  // incidents come only after the 30 s look-back (flow-hold.ts), after the training had started.
  const l = learnerFor('verdict-wait');
  try {
    l.learner.verdictWaitSeconds = 1;
    const t0 = Math.floor(Date.now() / 1000) - 2;
    l.learner.write(packets(300, t0)); // just captured: no verdict yet
    const requests = path.join(l.state, 'requests');
    mkdirSync(requests, { recursive: true });
    writeFileSync(path.join(requests, 'learn-now'), '');
    l.learner.tick();
    assert.match(l.lines.join('\n'), /^training: requested \(learn --now\): waiting 1 s for the last packets' verdicts \(look-back\)/m);
    assert.doesNotMatch(l.lines.join('\n'), /started on/, 'no training before the verdicts');
    l.learner.write(packets(50, t0 + 3)); // captured while waiting: not in this training
    // The scan's incident, still open (endTs: its latest packet so far), reported by the pipeline after the request.
    l.learner.noteIncidents([{ runId: 1, id: 1, startTs: t0, endTs: t0 + 1, packets: 40 } as IncidentRecord], false);
    await new Promise((r) => setTimeout(r, 1100));
    writeFileSync(path.join(requests, 'learn-now'), ''); // a second request while one waits starts nothing new
    l.learner.tick();
    const log = l.lines.join('\n');
    assert.match(log, /^training: requested \(learn --now\) started on 300 spooled packets in 1 file\(s\) \(1 incident span\(s\) left out/m);
    assert.equal(log.match(/started on/g)!.length, 1);
  } finally {
    await l.close();
  }
});
