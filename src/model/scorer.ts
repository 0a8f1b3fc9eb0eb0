import { tf } from './tf';
import { InferenceGraph } from './inference-graph';
import type { LoadedModel } from './model-dir';
import { cutWindowsFromRows } from '../features/window-cut';

import { DEFAULT_SCORE_BATCH, type ScoreResult, type WindowScorer } from './scorer-types';

export { DEFAULT_SCORE_BATCH, type ScoreResult, type WindowScorer };

/**
 * Scores windows in big batches (per-op overhead dominates small batches on wasm). Every
 * tensor a call creates is disposed before it returns: a daemon calls this forever.
 */
export class Scorer implements WindowScorer {
  readonly window: number;
  readonly features: number;
  private readonly inference: tf.LayersModel;
  /** The same forward pass with fewer copies (inference-graph.ts); null for another model layout. */
  private readonly graph: InferenceGraph | null;

  constructor(private readonly loaded: LoadedModel, private readonly batchSize = DEFAULT_SCORE_BATCH) {
    this.window = loaded.config.window;
    this.features = loaded.config.features;
    this.inference = loaded.inference;
    this.graph = InferenceGraph.tryFrom(loaded.model, loaded.inference);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`Scorer: batchSize must be a positive integer, got ${batchSize}`);
  }

  get id(): string { return this.loaded.id; }

  async score(windows: Float32Array, n: number): Promise<ScoreResult> {
    const per = this.window * this.features;
    if (windows.length < n * per) throw new Error(`Scorer.score: ${windows.length} values for ${n} windows of ${this.window}x${this.features}`);
    const scores = new Float32Array(n * this.window);
    const attention = new Float32Array(n * this.window);
    for (let start = 0; start < n; start += this.batchSize) {
      const m = Math.min(this.batchSize, n - start);
      const [p, a] = tf.tidy(() => {
        const x = tf.tensor3d(windows.subarray(start * per, (start + m) * per), [m, this.window, this.features]);
        if (this.graph) return this.graph.run(x);
        // execute, not predict: predict copies the batch out of x first (its batch loop's slice).
        return this.inference.execute(x, this.inference.outputs.map((o) => o.name)) as tf.Tensor[];
      });
      try {
        scores.set(await p.data() as Float32Array, start * this.window);
        attention.set(await a.data() as Float32Array, start * this.window);
      } finally {
        p.dispose();
        a.dispose();
      }
    }
    return { scores, attention };
  }

  /** WindowScorer.scoreRows: the windows cut into a buffer kept for the next call, then scored. */
  async scoreRows(rows: Float32Array, ends: Int32Array, n: number): Promise<ScoreResult> {
    const size = n * this.window * this.features;
    // A call made while another still reads the kept buffer (several batches in flight on this
    // thread: score awaits between its sub-batches) cuts into a buffer of its own.
    let cut = this.spareCut;
    this.spareCut = null;
    if (cut === null || cut.length < size) cut = new Float32Array(size);
    try {
      cutWindowsFromRows(rows, this.features, ends, n, this.window, cut);
      return await this.score(cut.subarray(0, size), n);
    } finally {
      this.spareCut = cut;
    }
  }

  private spareCut: Float32Array | null = null;

  /** The LoadedModel's models belong to whoever loaded them; dispose them via disposeLoaded. */
  dispose(): void {
    /* nothing held beyond the call */
  }
}

export function disposeLoaded(loaded: LoadedModel): void {
  // inference shares its layers (and variables) with model: disposing model frees both.
  loaded.model.dispose();
}
