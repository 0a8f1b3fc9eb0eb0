/**
 * Model throughput: inference windows/s (wasm at several batch sizes, cpu briefly, the
 * worker-thread scorer) and training seconds per 20k-window epoch, at DEFAULT_MODEL_CONFIG.
 * Random data is fine: cost does not depend on values. Override the config for sweeps with
 * LLN_BENCH_MODEL_CONFIG='{"poolSize":4,...}'.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tf } from '../src/model/tf';
import { initBackend } from '../src/model/backend';
import { buildModel, buildInferenceModel, DEFAULT_MODEL_CONFIG, type ModelConfig } from '../src/model/build-model';
import { loadModelDir, saveModelDir } from '../src/model/model-dir';
import { Scorer, disposeLoaded } from '../src/model/scorer';
import { WorkerScorer } from '../src/model/worker-scorer';
import { trainModel } from '../src/model/trainer';

function benchConfig(): ModelConfig {
  const extra = process.env.LLN_BENCH_MODEL_CONFIG;
  return { ...DEFAULT_MODEL_CONFIG, ...(extra ? (JSON.parse(extra) as Partial<ModelConfig>) : {}) };
}

function randomWindows(n: number, cfg: ModelConfig): Float32Array {
  const a = new Float32Array(n * cfg.window * cfg.features);
  for (let i = 0; i < a.length; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

interface Rate { wall: number; cpu: number }

/**
 * Windows per wall second, and per CPU second of this process: the second is what one
 * free core would give, and stays meaningful when other jobs share the machine.
 */
function rate(n: number, t0: number, c0: NodeJS.CpuUsage): Rate {
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

/** Windows/s of predict() on one batch size, for about `seconds`. */
async function inferRate(inf: tf.LayersModel, cfg: ModelConfig, batch: number, seconds: number): Promise<Rate> {
  const x = tf.tensor3d(randomWindows(batch, cfg), [batch, cfg.window, cfg.features]);
  const once = async (): Promise<void> => {
    const out = inf.predict(x, { batchSize: batch }) as tf.Tensor[];
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
  };
  await once();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) { await once(); n += batch; }
  x.dispose();
  return rate(n, t0, c0);
}

async function workerRate(dir: string, cfg: ModelConfig, batch: number, seconds: number): Promise<Rate> {
  const ws = await WorkerScorer.create(dir, 'wasm', { batchSize: batch });
  try {
    const chunk = batch * 4;
    const template = randomWindows(chunk, cfg);
    await ws.score(template.slice(), chunk);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let n = 0;
    // Two requests in flight so the worker never waits for the main thread.
    let inflight = ws.score(template.slice(), chunk);
    while (performance.now() - t0 < seconds * 1000) {
      const next = ws.score(template.slice(), chunk);
      await inflight; n += chunk;
      inflight = next;
    }
    await inflight; n += chunk;
    return rate(n, t0, c0);
  } finally {
    await ws.dispose();
  }
}

/** Both cores scoring: the in-thread Scorer and a WorkerScorer working side by side. */
async function dualRate(dir: string, cfg: ModelConfig, batch: number, seconds: number): Promise<number> {
  const loaded = await loadModelDir(dir, null);
  const local = new Scorer(loaded, batch);
  const ws = await WorkerScorer.create(dir, 'wasm', { batchSize: batch });
  try {
    const chunk = batch * 4;
    const template = randomWindows(chunk, cfg);
    await Promise.all([local.score(template, chunk), ws.score(template.slice(), chunk)]);
    const t0 = performance.now();
    let n = 0;
    const loop = async (score: () => Promise<unknown>): Promise<void> => {
      while (performance.now() - t0 < seconds * 1000) { await score(); n += chunk; }
    };
    await Promise.all([loop(() => local.score(template, chunk)), loop(() => ws.score(template.slice(), chunk))]);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await ws.dispose();
    disposeLoaded(loaded);
  }
}

async function trainSecondsPer20k(cfg: ModelConfig, windows: number): Promise<{ wall: number; cpu: number }> {
  const x = randomWindows(windows, cfg);
  const y = new Float32Array(windows).map(() => (Math.random() < 0.5 ? 0 : 1));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await trainModel({ train: { x, y, n: windows } }, { config: cfg, epochs: 1, batchSize: 32, seed: 1 });
  const c = process.cpuUsage(c0);
  const s = (performance.now() - t0) / 1000;
  r.model.dispose();
  return { wall: (s * 20000) / windows, cpu: ((c.user + c.system) / 1e6) * 20000 / windows };
}

export async function runModelBench(): Promise<Record<string, number>> {
  const cfg = benchConfig();
  const out: Record<string, number> = {};
  await initBackend('wasm');
  const model = buildModel(cfg);
  out.model_params = model.countParams();
  const inf = buildInferenceModel(model);
  for (const b of [256, 512, 1024]) {
    const r = await inferRate(inf, cfg, b, 3);
    out[`wasm_infer_windows_per_s_b${b}`] = Math.round(r.wall);
    out[`wasm_infer_windows_per_cpu_s_b${b}`] = Math.round(r.cpu);
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'lln-bench-model-'));
  try {
    await saveModelDir(dir, {
      model, config: cfg, scaler: {}, schema: { version: 'bench', features: Array.from({ length: cfg.features }, (_, i) => ({ name: `f${i}` })) },
      threshold: { value: 0.5, method: 'bench' }, report: {},
    });
    const w = await workerRate(dir, cfg, 512, 4);
    out.worker_infer_windows_per_s_b512 = Math.round(w.wall);
    out.worker_infer_windows_per_process_cpu_s_b512 = Math.round(w.cpu);
    out.main_plus_worker_infer_windows_per_s_b512 = Math.round(await dualRate(dir, cfg, 512, 4));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  model.dispose();

  const t = await trainSecondsPer20k(cfg, 4000);
  out.wasm_train_seconds_per_20k_epoch = Number(t.wall.toFixed(1));
  out.wasm_train_cpu_seconds_per_20k_epoch = Number(t.cpu.toFixed(1));

  await initBackend('cpu');
  const cpuModel = buildModel(cfg);
  const cr = await inferRate(buildInferenceModel(cpuModel), cfg, 256, 2);
  out.cpu_infer_windows_per_s_b256 = Math.round(cr.wall);
  out.cpu_infer_windows_per_cpu_s_b256 = Math.round(cr.cpu);
  cpuModel.dispose();
  await initBackend('wasm');
  return out;
}

if (require.main === module) {
  runModelBench().then((r) => {
    process.stdout.write(JSON.stringify({ config: benchConfig(), results: r }, null, 2) + '\n');
  }).catch((err) => { console.error(err); process.exit(1); });
}
