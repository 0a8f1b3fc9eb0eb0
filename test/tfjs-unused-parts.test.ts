import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { initBackend } from '../src/model/backend';
import { loadModelDir } from '../src/model/model-dir';
import { Scorer } from '../src/model/scorer';
import { DEFAULT_MODEL } from './helpers/cli';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(__dirname, '..', 'src', 'model');

test('the scoring worker\'s tfjs: the converter, the data API and WebGL are left out, and the shipped model scores the same as with all of tfjs', async () => {
  // A fresh process, as the worker: the skip first, then tfjs, then the model.
  const script = `
    require(${JSON.stringify(path.join(SRC, 'tfjs-unused-parts.js'))});
    const parts = ['@tensorflow/tfjs-converter', '@tensorflow/tfjs-data', '@tensorflow/tfjs-backend-webgl']
      .map((id) => { const m = require.cache[require.resolve(id)]; return m !== undefined && Object.keys(m.exports).length === 0; });
    const { initBackend } = require(${JSON.stringify(path.join(SRC, 'backend.js'))});
    const { loadModelDir } = require(${JSON.stringify(path.join(SRC, 'model-dir.js'))});
    const { Scorer } = require(${JSON.stringify(path.join(SRC, 'scorer.js'))});
    (async () => {
      const backend = await initBackend('auto');
      const loaded = await loadModelDir(${JSON.stringify(DEFAULT_MODEL)}, null);
      const w = loaded.config.window, f = loaded.config.features;
      const windows = Float32Array.from({ length: 4 * w * f }, (_, i) => Math.sin(i * 0.37) * 2); // as below
      const r = await new Scorer(loaded, 4).score(windows, 4);
      process.stdout.write(JSON.stringify({ parts, backend, scores: Array.from(r.scores) }));
    })();
  `;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  const got = JSON.parse(child.stdout) as { parts: boolean[]; backend: string; scores: number[] };
  assert.deepEqual(got.parts, [true, true, true], 'each of the three is an empty module in the cache');

  // The reference: this process, with all of tfjs (nothing skipped here).
  const backend = await initBackend(got.backend as 'wasm' | 'cpu');
  assert.equal(backend, got.backend);
  const loaded = await loadModelDir(DEFAULT_MODEL, null);
  const w = loaded.config.window, f = loaded.config.features;
  const windows = Float32Array.from({ length: 4 * w * f }, (_, i) => Math.sin(i * 0.37) * 2);
  const r = await new Scorer(loaded, 4).score(windows, 4);
  assert.equal(got.scores.length, 4 * w);
  assert.deepEqual(got.scores, Array.from(r.scores));
});
