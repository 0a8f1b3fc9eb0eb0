import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/model/tf';
import { initBackend } from '../src/model/backend';
import type { ModelConfig } from '../src/model/build-model';
import { trainModel, type WindowSet } from '../src/model/trainer';
import { fullReport } from '../src/model/metrics';

const CFG: ModelConfig = {
  window: 8, features: 4, convFilters: 8, kernelSize: 3, poolSize: 2,
  lstmUnits: 6, attentionDim: 6, denseUnits: 8, dropout: 0.1, seed: 1,
};

before(async () => {
  assert.equal(await initBackend('wasm'), 'wasm');
});

/** Seeded synthetic windows: every other window has a burst (+2.5) in feature 0 at one random packet, labelled 1 (per-packet targets, n*W). */
function synthetic(n: number, seed: number): WindowSet {
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const per = CFG.window * CFG.features;
  const x = new Float32Array(n * per);
  const y = new Float32Array(n * CFG.window);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < per; j++) x[i * per + j] = 0.5 * gauss();
    if (i % 2 === 1) {
      const r = Math.floor(rnd() * CFG.window);
      x[i * per + r * CFG.features] += 2.5;
      y[i * CFG.window + r] = 1;
    }
  }
  return { x, y, n };
}

async function predictAll(model: tf.LayersModel, set: WindowSet): Promise<Float32Array> {
  const x = tf.tensor3d(set.x, [set.n, CFG.window, CFG.features]);
  const p = model.predict(x, { batchSize: 256 }) as tf.Tensor;
  const out = (await p.data()) as Float32Array;
  tf.dispose([x, p]);
  return out;
}

test('a tiny model learns a separable synthetic task on wasm', async () => {
  const train = synthetic(512, 1);
  const val = synthetic(256, 2);
  const r = await trainModel({ train, validation: val }, { config: CFG, epochs: 8, batchSize: 32, learningRate: 0.01, patience: 3, seed: 3 });
  const first = r.history[0];
  const bestRec = r.history[r.bestEpoch];
  assert.ok(bestRec.valLoss! < first.valLoss!, `val loss ${first.valLoss} → ${bestRec.valLoss}`);
  assert.ok(r.history[r.history.length - 1].loss < first.loss, 'training loss falls');
  const rep = fullReport(await predictAll(r.model, val), val.y, 0.5);
  assert.ok(rep.rocAuc! >= 0.95, `val ROC-AUC per packet ${rep.rocAuc}`);
  assert.ok(rep.recall! >= 0.7, `val recall per packet ${rep.recall}`);
  // Best weights are restored: the returned model reproduces the best epoch's val accuracy.
  assert.ok(Math.abs(rep.accuracy! - bestRec.valAccuracy!) < 1e-6, `restored ${rep.accuracy} vs best ${bestRec.valAccuracy}`);
  r.model.dispose();
});

async function weightsAfter(seed: number, stream: boolean): Promise<Float32Array[]> {
  const train = synthetic(96, 5);
  const per = CFG.window * CFG.features;
  const trainSrc = stream
    ? function* (): Generator<WindowSet> {
        for (let s = 0; s < train.n; s += 32) yield { x: train.x.subarray(s * per, (s + 32) * per), y: train.y.subarray(s * CFG.window, (s + 32) * CFG.window), n: 32 };
      }
    : train;
  const r = await trainModel({ train: trainSrc }, { config: CFG, epochs: 2, batchSize: 32, seed });
  const w = r.model.getWeights().map((t) => t.dataSync().slice() as Float32Array);
  r.model.dispose();
  return w;
}

test('same seed + data + backend gives identical weights; another seed does not', async () => {
  const a = await weightsAfter(11, false);
  const b = await weightsAfter(11, false);
  const c = await weightsAfter(12, false);
  assert.deepEqual(b, a);
  assert.notDeepEqual(c, a);
});

test('streaming batches train reproducibly too', async () => {
  const a = await weightsAfter(11, true);
  const b = await weightsAfter(11, true);
  assert.deepEqual(b, a);
});

test('shouldStop interrupts training and early stopping reports the best epoch', async () => {
  const train = synthetic(128, 7);
  let batches = 0;
  const r = await trainModel({ train, validation: synthetic(64, 8) }, {
    config: CFG, epochs: 50, batchSize: 16, seed: 1,
    onBatchEnd: () => { batches++; },
    shouldStop: () => batches >= 20,
  });
  assert.equal(r.interrupted, true);
  assert.ok(r.history.length <= 3, `stopped after ${r.history.length} epochs`);
  assert.ok(batches < 30);
  r.model.dispose();

  // Patience 1 on pure noise labels: the val loss cannot keep improving for 50 epochs.
  const noise = synthetic(64, 9);
  noise.y.forEach((_, i) => { noise.y[i] = (i * 7919) % 3 === 0 ? 1 : 0; });
  const e = await trainModel({ train: noise, validation: synthetic(64, 10) }, { config: CFG, epochs: 50, batchSize: 32, seed: 1, patience: 1 });
  assert.equal(e.stoppedEarly, true);
  assert.ok(e.history.length < 50);
  assert.equal(e.history.length, e.bestEpoch + 2, 'stops one epoch (patience) after the best');
  e.model.dispose();
});

test('averageBest keeps the mean of the weights of the best epochs by the check', async () => {
  // A scripted check: epochs 0..4 score these monitors; the three best are epochs 1, 3 and 4.
  const monitors = [0.1, 0.8, 0.2, 0.9, 0.7];
  const seen: Float32Array[][] = [];
  let epoch = 0;
  const r = await trainModel({ train: synthetic(64, 11) }, {
    config: CFG, epochs: monitors.length, batchSize: 16, seed: 1, patience: 10, averageBest: 3,
    check: async (m) => {
      seen.push(m.getWeights().map((w) => w.dataSync() as Float32Array).map((a) => Float32Array.from(a)));
      return { monitor: monitors[epoch++], figures: {} };
    },
  });
  assert.deepEqual(r.averagedEpochs, [1, 3, 4]);
  assert.equal(r.bestEpoch, 3);
  const got = r.model.getWeights().map((w) => w.dataSync() as Float32Array);
  let maxErr = 0, moved = 0;
  got.forEach((g, i) => g.forEach((v, j) => {
    const mean = (seen[1][i][j] + seen[3][i][j] + seen[4][i][j]) / 3;
    maxErr = Math.max(maxErr, Math.abs(v - mean));
    if (Math.abs(v - seen[3][i][j]) > 1e-6) moved++;
  }));
  assert.ok(maxErr < 1e-5, `weights are the mean of epochs 1, 3 and 4 (max error ${maxErr})`);
  assert.ok(moved > 0, 'and not the best epoch alone');
  r.model.dispose();
});

test('stopOn loss keeps the epoch of the lowest held-out loss while the check still runs and is recorded', async () => {
  // The check prefers the first epoch; the held-out loss decides.
  let epoch = 0;
  const r = await trainModel({ train: synthetic(128, 12), validation: synthetic(64, 13) }, {
    config: CFG, epochs: 5, batchSize: 16, learningRate: 0.01, seed: 1, patience: 10, stopOn: 'loss',
    check: async () => ({ monitor: 10 - epoch++, figures: {} }),
  });
  const losses = r.history.map((h) => h.valLoss!);
  assert.equal(r.bestEpoch, losses.indexOf(Math.min(...losses)));
  assert.deepEqual(r.history.map((h) => h.check?.monitor), [10, 9, 8, 7, 6]);
  assert.notEqual(r.bestEpoch, 0, `the check alone would keep epoch 0 (losses ${losses.map((l) => l.toFixed(3)).join(' ')})`);
  r.model.dispose();
});
