import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LlnError, type ErrorCode } from '../errors';
import type { BackendPreference } from './backend';
import type { FeatureSchema } from './model-dir';
import { DEFAULT_SCORE_BATCH, type ScoreResult, type WindowScorer } from './scorer-types';
import type { FromWorker, ToWorker, WorkerInit } from './scorer-worker';

interface Pending { resolve: (r: ScoreResult) => void; reject: (e: Error) => void }

function toError(msg: { message: string; code?: string }): Error {
  return msg.code ? new LlnError(msg.code as ErrorCode, msg.message) : new Error(msg.message);
}

/**
 * The Scorer interface, run in a worker_threads Worker (the model is loaded in the worker).
 * score() and scoreRows() TRANSFER the windows' (rows') buffer to the worker (zero copy):
 * afterwards the caller's Float32Array is detached and must not be reused; the result hands the
 * same memory back (`input`). A view into a larger buffer is copied instead, so transferring can
 * never steal memory the caller still uses elsewhere.
 */
export class WorkerScorer implements WindowScorer {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failed: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly backend: string,
    readonly id: string,
    readonly sha256: string,
    readonly threshold: number,
    readonly window: number,
    readonly features: number,
    /** The model directory's scaler.json and calibration stride, as the worker read them. */
    readonly scalerJson: unknown,
    readonly stride: number | null,
  ) {
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => { if (code !== 0) this.failAll(new Error(`scoring worker exited with code ${code}`)); });
    // Idle, the worker must not keep the process alive: a caller that fails after opening it
    // and never disposes it would otherwise hang after printing its error. Ref'd while scoring.
    worker.unref();
  }

  /**
   * Starts the worker and waits until it has loaded the model (or failed to). `warmUp`: the
   * worker then scores one full batch of zeros before the first request (for long inputs: that
   * batch's cost overlaps the caller's filling of its first one). `signal`: aborting it while the
   * worker loads ends the worker (create then rejects): a caller that started it early and then
   * failed need not wait ~0.5 s for a load it no longer wants.
   */
  static async create(modelDir: string, backend: BackendPreference = 'auto',
    opts: { batchSize?: number; expectedSchema?: FeatureSchema | null; warmUp?: boolean; signal?: AbortSignal } = {}): Promise<WorkerScorer> {
    const workerData: WorkerInit = {
      modelDir, backend, batchSize: opts.batchSize ?? DEFAULT_SCORE_BATCH, expectedSchema: opts.expectedSchema ?? null, warmUp: opts.warmUp ?? false,
    };
    // Resolved next to this compiled module: dist/src/model/scorer-worker.js.
    // Heap limits sized to what tfjs needs here (weights and activations live in wasm memory; the
    // JS heap holds ~25 MB of tensor handles): a 6 MB young generation, and an old-generation cap
    // of 5x the use, which makes V8 size the heap tighter. Measured: -50 MB RSS, same speed.
    const worker = new Worker(path.join(__dirname, 'scorer-worker.js'), {
      workerData, resourceLimits: { maxYoungGenerationSizeMb: 6, maxOldGenerationSizeMb: 128 },
    });
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      const onMsg = (msg: FromWorker): void => {
        cleanup();
        if (msg.type === 'ready') resolve(msg);
        else reject(msg.type === 'error' ? toError(msg) : new Error(`scoring worker: unexpected ${msg.type}`));
      };
      const onErr = (err: Error): void => { cleanup(); reject(err); };
      const onExit = (code: number): void => { cleanup(); reject(new Error(`scoring worker exited with code ${code} before loading`)); };
      const onAbort = (): void => { cleanup(); reject(new Error('scoring worker: loading cancelled')); };
      const cleanup = (): void => {
        worker.off('message', onMsg); worker.off('error', onErr); worker.off('exit', onExit);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      worker.on('message', onMsg).on('error', onErr).on('exit', onExit);
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort);
    }).catch(async (err: Error) => { await worker.terminate(); throw err; });
    return new WorkerScorer(worker, ready.backend, ready.id, ready.sha256, ready.threshold, ready.window, ready.features, ready.scalerJson, ready.stride);
  }

  score(windows: Float32Array, n: number): Promise<ScoreResult> {
    const owned = ownedBuffer(windows);
    return this.post((id) => ({ type: 'score', id, windows: owned, n }), owned);
  }

  /** WindowScorer.scoreRows: the worker cuts the windows (`ends` is copied, not transferred). */
  scoreRows(rows: Float32Array, ends: Int32Array, n: number): Promise<ScoreResult> {
    const owned = ownedBuffer(rows);
    return this.post((id) => ({ type: 'scoreRows', id, rows: owned, ends, n }), owned);
  }

  private post(message: (id: number) => ToWorker, transfer: Float32Array): Promise<ScoreResult> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<ScoreResult>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message(id), [transfer.buffer as ArrayBuffer]);
    });
  }

  async dispose(): Promise<void> {
    this.failAll(new Error('WorkerScorer disposed'));
    await this.worker.terminate();
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'ready') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker.unref();
    if (msg.type === 'scored') p.resolve({ scores: msg.scores, attention: msg.attention, input: msg.input });
    else p.reject(toError(msg));
  }

  private failAll(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.unref();
  }
}

/** `a` itself when it spans its whole buffer (which can then be transferred), else a copy that does. */
function ownedBuffer(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}
