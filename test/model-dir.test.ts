import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, unlinkSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tf } from '../src/model/tf';
import { initBackend } from '../src/model/backend';
import { buildModel, type ModelConfig } from '../src/model/build-model';
import { loadModelDir, saveModelDir, type FeatureSchema } from '../src/model/model-dir';
import { Scorer, disposeLoaded } from '../src/model/scorer';
import { WorkerScorer } from '../src/model/worker-scorer';
import { LlnError } from '../src/errors';

const CFG: ModelConfig = {
  window: 8, features: 3, convFilters: 4, kernelSize: 3, poolSize: 2,
  lstmUnits: 4, attentionDim: 4, denseUnits: 4, dropout: 0.1, seed: 5,
};
const SCHEMA: FeatureSchema = { version: 'test-1', features: [{ name: 'len' }, { name: 'ttl' }, { name: 'dt' }] };
const SCALER = { kind: 'lln-scaler', schemaVersion: 'test-1', names: ['len', 'ttl', 'dt'], mean: [1, 2, 3], std: [1, 1, 1], clip: 6, stdFloor: 1e-3, rows: 10 };
const root = mkdtempSync(path.join(tmpdir(), 'lln-model-dir-'));
const good = path.join(root, 'good');

before(async () => {
  assert.equal(await initBackend('wasm'), 'wasm');
  const model = buildModel(CFG);
  await saveModelDir(good, {
    model, config: CFG, scaler: SCALER, schema: SCHEMA,
    threshold: { value: 0.73, method: 'fpr', targetFpr: 0.01 }, report: { note: 'test' },
  });
  model.dispose();
});
after(() => rmSync(root, { recursive: true, force: true }));

function copyDir(name: string): string {
  const d = path.join(root, name);
  cpSync(good, d, { recursive: true });
  return d;
}

function windows(n: number, seed: number): Float32Array {
  const t = tf.randomNormal([n * CFG.window * CFG.features], 0, 1, 'float32', seed);
  const a = t.dataSync().slice() as Float32Array;
  t.dispose();
  return a;
}

test('saveModelDir/loadModelDir round trip: config, threshold, scaler, id and sha', async () => {
  const m = await loadModelDir(good, SCHEMA);
  assert.deepEqual(m.config, CFG);
  assert.equal(m.threshold, 0.73);
  assert.deepEqual(m.scalerJson, SCALER);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.id, `good@${m.sha256.slice(0, 12)}`);
  for (const f of ['model.json', 'weights.bin', 'scaler.json', 'features.json', 'threshold.json', 'training-report.json']) {
    assert.ok(readFileSync(path.join(good, f)).length > 0, f);
  }
  disposeLoaded(m);
});

test('refuses a wrong schema version naming both versions', async () => {
  await assert.rejects(loadModelDir(good, { ...SCHEMA, version: 'test-2' }), (e: unknown) => {
    assert.ok(e instanceof LlnError);
    assert.equal(e.code, 'LLN_E_SCHEMA_MISMATCH');
    assert.match(e.message, /test-1/);
    assert.match(e.message, /test-2/);
    return true;
  });
  await assert.rejects(loadModelDir(good, { ...SCHEMA, features: [{ name: 'len' }, { name: 'dt' }, { name: 'ttl' }] }),
    (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_SCHEMA_MISMATCH');
});

test('missing directory, missing file and corrupt weights are LLN_E_MODEL with a way out', async () => {
  await assert.rejects(loadModelDir(path.join(root, 'nope'), SCHEMA),
    (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_MODEL' && /not a model directory/.test(e.message));
  const noScaler = copyDir('no-scaler');
  unlinkSync(path.join(noScaler, 'scaler.json'));
  await assert.rejects(loadModelDir(noScaler, SCHEMA),
    (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_MODEL' && /missing scaler\.json/.test(e.message) && /lln-detect train/.test(e.message));
  const corrupt = copyDir('corrupt');
  const w = readFileSync(path.join(corrupt, 'weights.bin'));
  writeFileSync(path.join(corrupt, 'weights.bin'), w.subarray(0, w.length - 10));
  await assert.rejects(loadModelDir(corrupt, SCHEMA),
    (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_MODEL' && /corrupt/.test(e.message));
  const badJson = copyDir('bad-json');
  writeFileSync(path.join(badJson, 'model.json'), '{"modelTopology": ');
  await assert.rejects(loadModelDir(badJson, SCHEMA), (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_MODEL');
});

test('Scorer leaks no tensors over 1,000 calls and batches give the same scores', async () => {
  const m = await loadModelDir(good, SCHEMA);
  const scorer = new Scorer(m, 16);
  const x = windows(37, 1);
  const first = await scorer.score(x, 37);
  assert.equal(first.scores.length, 37 * CFG.window, 'one probability per packet of each window');
  assert.equal(first.attention.length, 37 * CFG.window);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 1000; i++) await scorer.score(x, 3);
  assert.equal(tf.memory().numTensors, before);
  // Batch boundaries must not change results: one big batch vs batches of 16.
  const whole = await new Scorer(m, 64).score(x, 37);
  for (let i = 0; i < 37 * CFG.window; i++) assert.ok(Math.abs(whole.scores[i] - first.scores[i]) < 1e-6);
  disposeLoaded(m);
});

test('WorkerScorer loads the model in a worker and matches the in-thread Scorer', async () => {
  const m = await loadModelDir(good, SCHEMA);
  const x = windows(50, 2);
  const local = await new Scorer(m).score(x, 50);
  disposeLoaded(m);
  const ws = await WorkerScorer.create(good, 'wasm', { expectedSchema: SCHEMA });
  try {
    assert.equal(ws.backend, 'wasm');
    assert.equal(ws.id, m.id);
    const [r1, r2] = await Promise.all([ws.score(x.slice(), 50), ws.score(x.subarray(0, 10 * CFG.window * CFG.features), 10)]);
    assert.deepEqual(Array.from(r1.scores), Array.from(local.scores));
    assert.deepEqual(Array.from(r1.attention), Array.from(local.attention));
    assert.deepEqual(Array.from(r2.scores), Array.from(local.scores.subarray(0, 10 * CFG.window)));
    assert.equal(x.length, 50 * CFG.window * CFG.features, 'a subarray view is copied, not detached');
  } finally {
    await ws.dispose();
  }
  await assert.rejects(WorkerScorer.create(good, 'wasm', { expectedSchema: { ...SCHEMA, version: 'x' } }),
    (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_SCHEMA_MISMATCH');
});
