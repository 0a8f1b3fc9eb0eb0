/**
 * The scorer interface without TensorFlow: importing it must not load tfjs, so a process whose
 * inference runs in a worker thread (replay, daemon) keeps only one tfjs instance, the worker's.
 */
export interface ScoreResult {
  /** n*W probabilities: one per packet of each window (padding rows first, as the input). */
  scores: Float32Array;
  /** n*W attention weights, per packet of each window (each window's W weights sum to 1). */
  attention: Float32Array;
  /**
   * The input buffer (windows, or the rows they were cut from) handed back by a worker scorer
   * after it was transferred there, so the caller can fill it again (an in-thread scorer never
   * takes it: the caller still owns it).
   */
  input?: Float32Array;
}

/** What the pipeline needs from a scorer, in-thread or in a worker. */
export interface WindowScorer {
  readonly window: number;
  readonly features: number;
  /**
   * Score n windows cut from `rows` (F values a row): window i is the W rows ending at row
   * ends[i], zero rows in front when fewer precede it (cutWindowFromRows). The pipeline hands
   * each packet's row over once, and the windows are cut where the scoring runs.
   */
  scoreRows(rows: Float32Array, ends: Int32Array, n: number): Promise<ScoreResult>;
  dispose(): void | Promise<void>;
}

export const DEFAULT_SCORE_BATCH = 512;
