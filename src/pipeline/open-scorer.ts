import { FEATURE_SCHEMA } from '../features/schema';
import { Scaler } from '../features/scaler';
import type { BackendPreference } from '../model/backend';
import type { WindowScorer } from '../model/scorer-types';
import { WorkerScorer } from '../model/worker-scorer';
import { DEFAULT_MODEL_DIR } from '../paths';
import { logger } from '../logger';

export interface OpenedModel {
  scorer: WindowScorer;
  scaler: Scaler;
  dir: string;
  id: string;
  sha256: string;
  threshold: number;
  window: number;
  features: number;
  /** Stride the threshold was calibrated for (replay default). */
  stride: number;
  backend: string;
}

export const DEFAULT_STRIDE = 16;

/**
 * Load a model directory for scoring: in a worker thread (default: inference runs on the
 * second core while this thread reads and extracts features) or on this thread.
 */
export async function openScorer(opts: {
  modelDir?: string; backend: BackendPreference; worker: boolean; batch: number; warmUp?: boolean;
  /** Aborting ends a worker still loading (its error then rejects); a loaded model is the caller's to dispose. */
  signal?: AbortSignal;
}): Promise<OpenedModel> {
  const dir = opts.modelDir ?? DEFAULT_MODEL_DIR;
  let scorer: WindowScorer;
  let id: string, sha256: string, threshold: number, backend: string, scalerJson: unknown;
  let stride: number | null;
  if (opts.worker) {
    const ws = await WorkerScorer.create(dir, opts.backend, { batchSize: opts.batch, expectedSchema: FEATURE_SCHEMA, warmUp: opts.warmUp, signal: opts.signal });
    scorer = ws;
    ({ id, sha256, threshold, backend, scalerJson, stride } = ws);
  } else {
    // Loaded only here: with a worker, tfjs lives in the worker alone (one instance, not two).
    const { initBackend } = await import('../model/backend');
    const { loadModelDir } = await import('../model/model-dir');
    const { Scorer } = await import('../model/scorer');
    backend = await initBackend(opts.backend);
    const loaded = await loadModelDir(dir, FEATURE_SCHEMA);
    scorer = new Scorer(loaded, opts.batch);
    ({ id, sha256, threshold, scalerJson } = loaded);
    stride = typeof loaded.thresholdRecord.stride === 'number' ? loaded.thresholdRecord.stride : null;
  }
  // loadModelDir checked the schema; Scaler.fromJSON checks the scaler's names too.
  const scaler = Scaler.fromJSON(scalerJson);
  logger.info(`model ${id} (threshold ${threshold.toFixed(4)}, window ${scorer.window}) on ${backend}${opts.worker ? ' in a worker thread' : ''}`);
  return { scorer, scaler, dir, id, sha256, threshold, window: scorer.window, features: scorer.features, stride: stride ?? DEFAULT_STRIDE, backend };
}
