import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tf } from '../src/model/tf';
import { initBackend } from '../src/model/backend';
import { Im2colConv1D } from '../src/model/conv1d-im2col';
import { buildModel, buildInferenceModel, type ModelConfig } from '../src/model/build-model';
import { fileLoadHandler, fileSaveHandler } from '../src/model/file-io-handler';

const TINY: ModelConfig = {
  window: 10, features: 5, convFilters: 6, kernelSize: 3, poolSize: 4,
  lstmUnits: 4, attentionDim: 4, denseUnits: 4, dropout: 0.1, seed: 7,
};

before(async () => {
  assert.equal(await initBackend('wasm'), 'wasm');
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

for (const k of [1, 3, 4, 5]) {
  test(`Im2colConv1D equals tf.layers.conv1d numerically (kernel ${k}, same padding)`, () => {
    const x = tf.randomNormal([3, 10, 4], 0, 1, 'float32', 1);
    const ours = new Im2colConv1D({ filters: 5, kernelSize: k, activation: 'relu', seed: 3 });
    const ref = tf.layers.conv1d({ filters: 5, kernelSize: k, padding: 'same', activation: 'relu' });
    const yOurs = ours.apply(x) as tf.Tensor;
    ref.apply(x);
    // Non-zero bias so a bias bug would show.
    const [kernel] = ours.getWeights();
    const bias = tf.randomNormal([5], 0, 1, 'float32', 2);
    ours.setWeights([kernel, bias]);
    ref.setWeights([kernel, bias]);
    const a = ours.apply(x) as tf.Tensor;
    const b = ref.apply(x) as tf.Tensor;
    assert.deepEqual(a.shape, [3, 10, 5]);
    assert.ok(maxAbsDiff(a, b) < 1e-5, `max diff ${maxAbsDiff(a, b)}`);
    assert.ok(tf.max(tf.abs(b)).dataSync()[0] > 0.1, 'reference output is not trivially zero');
    tf.dispose([x, yOurs, bias, a, b]);
  });
}

test('Im2colConv1D trains on wasm (gradient exists, loss falls)', async () => {
  const model = tf.sequential({
    layers: [new Im2colConv1D({ filters: 4, kernelSize: 3, inputShape: [8, 3], seed: 1 }), tf.layers.flatten(), tf.layers.dense({ units: 1 })],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
  const x = tf.randomNormal([64, 8, 3], 0, 1, 'float32', 5);
  const y = tf.sum(x, [1, 2]).reshape([64, 1]);
  const h = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
  const losses = h.history.loss as number[];
  assert.ok(losses[losses.length - 1] < losses[0] * 0.5, `loss ${losses[0]} → ${losses[losses.length - 1]}`);
  tf.dispose([x, y]);
  model.dispose();
});

test('inference model returns [per-packet score, per-packet attention] with attention summing to 1', () => {
  const model = buildModel(TINY);
  const inf = buildInferenceModel(model);
  const x = tf.randomNormal([5, TINY.window, TINY.features], 0, 1, 'float32', 9);
  const [p, a] = inf.predict(x) as tf.Tensor[];
  assert.deepEqual(p.shape, [5, TINY.window], 'one probability per packet');
  for (const v of p.dataSync()) assert.ok(v >= 0 && v <= 1);
  assert.deepEqual(a.shape, [5, TINY.window]);
  const att = a.arraySync() as number[][];
  for (const row of att) {
    assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    // Packets in the same pool group share one weight.
    for (let i = 0; i < TINY.window; i++) assert.ok(Math.abs(row[i] - row[i - (i % TINY.poolSize)]) < 1e-7);
  }
  const direct = model.predict(x) as tf.Tensor;
  assert.ok(maxAbsDiff(direct, p) < 1e-6);
  tf.dispose([x, p, a, direct]);
  model.dispose();
});

test('custom layers survive a save/load round trip through the file IOHandler', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-model-io-'));
  try {
    const model = buildModel(TINY);
    // Move the weights off their initial values so a loader that re-initialises would fail.
    model.setWeights(model.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.1, 'float32', 100 + i))));
    await model.save(fileSaveHandler(dir));
    const loaded = await tf.loadLayersModel(fileLoadHandler(dir));
    const x = tf.randomNormal([7, TINY.window, TINY.features], 0, 1, 'float32', 11);
    const [p1, a1] = buildInferenceModel(model).predict(x) as tf.Tensor[];
    const [p2, a2] = buildInferenceModel(loaded).predict(x) as tf.Tensor[];
    assert.deepEqual(Array.from(p2.dataSync()), Array.from(p1.dataSync()));
    assert.deepEqual(Array.from(a2.dataSync()), Array.from(a1.dataSync()));
    assert.deepEqual(loaded.layers.map((l) => l.getClassName()), model.layers.map((l) => l.getClassName()));
    tf.dispose([x, p1, a1, p2, a2]);
    model.dispose();
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
