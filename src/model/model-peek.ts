import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Scaler } from '../features/scaler';

/** What the replay pipeline needs from a model directory before the model itself is loaded. */
export interface ModelParams {
  window: number;
  features: number;
  /** Calibration stride (threshold.json), or null when it does not say. */
  stride: number | null;
  threshold: number;
  scaler: Scaler;
}

/**
 * A model directory's window, feature count, stride, threshold and scaler, read from its JSON
 * files in a few milliseconds and without TensorFlow.js, so replay can decode and extract while
 * the scoring worker loads tfjs and the model (~0.3–0.5 s). Null when anything is missing or
 * odd: the caller then waits for the worker, whose full load (loadModelDir) reports the problem.
 * The worker's answer must agree with this one before any score is used (run-replay.ts).
 */
export function peekModelDir(dir: string): ModelParams | null {
  try {
    const json = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Record<string, unknown>;
    const meta = json('model.json').userDefinedMetadata as Record<string, unknown> | undefined;
    // model-dir.ts's CONFIG_KEY: if it ever changes, this returns null and replay waits.
    const config = meta?.llnModelConfig as { window?: unknown; features?: unknown } | undefined;
    const threshold = json('threshold.json');
    const { window, features } = config ?? {};
    if (!Number.isInteger(window) || !Number.isInteger(features) || typeof threshold.value !== 'number') return null;
    return {
      window: window as number,
      features: features as number,
      stride: typeof threshold.stride === 'number' ? threshold.stride : null,
      threshold: threshold.value,
      scaler: Scaler.fromJSON(json('scaler.json')),
    };
  } catch {
    return null;
  }
}
