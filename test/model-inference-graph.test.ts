import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/model/tf';
import { initBackend } from '../src/model/backend';
import { loadModelDir } from '../src/model/model-dir';
import { InferenceGraph } from '../src/model/inference-graph';
import { DEFAULT_MODEL_DIR } from '../src/paths';

function bits(t: tf.Tensor): Buffer {
  const v = t.dataSync() as Float32Array;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

test('the inference graph gives the shipped model\'s scores and attention bit for bit, and leaks no tensors', async () => {
  await initBackend('wasm');
  const m = await loadModelDir(DEFAULT_MODEL_DIR, null);
  const graph = InferenceGraph.tryFrom(m.model, m.inference);
  assert.ok(graph, 'the shipped model has the layout the graph knows');
  const { window: W, features: F } = m.config;
  const inputs = [1, 5, 300].map((n) => {
    const v = new Float32Array(n * W * F);
    let s = n;
    for (let i = 0; i < v.length; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      v[i] = i % 5 === 0 ? 0 : (s / 0x7fffffff) * 8 - 4;
    }
    return tf.tensor3d(v, [n, W, F]);
  });
  // Every predict first: the graph's faster kernels are registered at its first run.
  const wants = inputs.map((x) => tf.tidy(() => m.inference.predict(x, { batchSize: x.shape[0] }) as tf.Tensor[]));
  inputs.forEach((x, i) => {
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => graph.run(x));
    assert.equal(tf.memory().numTensors, before + 2, 'only the two outputs outlive the call');
    assert.ok(bits(got[0]).equals(bits(wants[i][0])), `scores, ${x.shape[0]} windows`);
    assert.ok(bits(got[1]).equals(bits(wants[i][1])), `attention, ${x.shape[0]} windows`);
    tf.dispose(got);
  });
  tf.dispose([...wants.flat(), ...inputs]);
  m.model.dispose();
});
