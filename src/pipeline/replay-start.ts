import { statSync } from 'node:fs';
import type { BackendPreference } from '../model/backend';
import { peekModelDir, type ModelParams } from '../model/model-peek';
import { DEFAULT_MODEL_DIR } from '../paths';
import { openScorer, type OpenedModel } from './open-scorer';

/** Replay's windows per scoring batch up to stride 16 (why: run-replay.ts). */
export const REPLAY_BATCH = 512;

/** Inputs from this size on (or standard input) let the scoring worker warm up first: ~100k header-only packets. */
const WARM_UP_BYTES = 8 << 20;

/** A replay's model, loading (in the scoring worker by default) while the caller goes on. */
export interface ReplayModelStart {
  /**
   * The directory's own parameters, read without tfjs: with them the pipeline reads, decodes and
   * extracts while the worker loads; null: it waits for the model.
   */
  early: ModelParams | null;
  opening: Promise<OpenedModel>;
  /** Ends the model's worker, still loading or loaded (a worker thread would keep the process from exiting). */
  close(): Promise<void>;
}

/**
 * Start loading a replay's model. Light on purpose (no capture, output or SQLite modules): the CLI
 * calls it before it loads the rest of replay, so the worker's ~0.5 s of loading tfjs and the
 * model overlap that (run-replay.ts calls it itself when given nothing started).
 */
export function startReplayModel(files: string[], o: { model?: string; worker: boolean; backend: BackendPreference; batch?: number }): ReplayModelStart {
  const early = o.worker ? peekModelDir(o.model ?? DEFAULT_MODEL_DIR) : null;
  // Without them, a worker warms up (scores a batch of zeros) when the input holds several
  // batches' worth: that batch overlaps our filling of the first real one (a small capture would
  // wait for it). With them our first batches are ready before the worker is: no warm-up.
  const bytes = files.reduce((sum, f) => sum + (f === '-' ? WARM_UP_BYTES : sizeOf(f)), 0);
  const warmUp = early === null && bytes >= WARM_UP_BYTES;
  const abort = new AbortController();
  const opening = openScorer({ modelDir: o.model, backend: o.backend, worker: o.worker, batch: o.batch ?? REPLAY_BATCH, warmUp, signal: abort.signal });
  opening.catch(() => undefined); // observed by the caller; never an unhandled rejection meanwhile
  return {
    early, opening,
    close: async () => {
      abort.abort();
      const model = await opening.catch(() => null);
      await model?.scorer.dispose();
    },
  };
}

/** A file not there (yet) counts 0: replay's own checks report it before anything is read. */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
