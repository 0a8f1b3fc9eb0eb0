/**
 * Worker-thread entry for WorkerScorer: loads the model directory inside the worker and
 * scores batches posted to it, so the main thread keeps parsing on the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import './tfjs-unused-parts'; // before anything imports tfjs
import { initBackend, type BackendPreference } from './backend';
import { loadModelDir, type FeatureSchema } from './model-dir';
import { Scorer } from './scorer';
import { isLlnError } from '../errors';

export interface WorkerInit {
  modelDir: string;
  backend: BackendPreference;
  batchSize: number;
  expectedSchema: FeatureSchema | null;
  /** Score one full batch of zeros right after loading (see main()). */
  warmUp: boolean;
}

export type ToWorker =
  | { type: 'score'; id: number; windows: Float32Array; n: number }
  | { type: 'scoreRows'; id: number; rows: Float32Array; ends: Int32Array; n: number }
  | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; backend: string; id: string; sha256: string; threshold: number; window: number; features: number; scalerJson: unknown; stride: number | null }
  | { type: 'scored'; id: number; scores: Float32Array; attention: Float32Array; input: Float32Array }
  | { type: 'error'; id: number; message: string; code?: string };

function errorMessage(id: number, err: unknown): FromWorker {
  return { type: 'error', id, message: (err as Error)?.message ?? String(err), code: isLlnError(err) ? err.code : undefined };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('scorer-worker must run in a worker thread');
  const init = workerData as WorkerInit;
  let scorer: Scorer;
  let perWindow: number;
  try {
    const backend = await initBackend(init.backend);
    const loaded = await loadModelDir(init.modelDir, init.expectedSchema);
    perWindow = loaded.config.window * loaded.config.features;
    scorer = new Scorer(loaded, init.batchSize);
    port.postMessage({
      type: 'ready', backend, id: loaded.id, sha256: loaded.sha256, threshold: loaded.threshold,
      window: loaded.config.window, features: loaded.config.features,
      // What the main thread needs from the directory too: it is read once, here.
      scalerJson: loaded.scalerJson, stride: typeof loaded.thresholdRecord.stride === 'number' ? loaded.thresholdRecord.stride : null,
    } satisfies FromWorker);
  } catch (err) {
    port.postMessage(errorMessage(-1, err));
    return;
  }
  // Requests are handled strictly in order: one scorer, one backend, no interleaving.
  // With warmUp, first a batch of zeros at full size, while the main thread fills its first
  // batch: the first batch of a size costs ~4x a later one (the wasm heap grows to hold it, code
  // paths compile; measured 450 against 90 ms of CPU at 1024 windows), paid otherwise while the
  // pipeline waits for its first scores. Inference holds no state: scores do not depend on it.
  let chain: Promise<unknown> = init.warmUp
    ? scorer.score(new Float32Array(init.batchSize * perWindow), init.batchSize).catch(() => undefined)
    : Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') { port.close(); return; }
    chain = chain.then(async () => {
      try {
        const input = msg.type === 'score' ? msg.windows : msg.rows;
        const r = msg.type === 'score' ? await scorer.score(msg.windows, msg.n) : await scorer.scoreRows(msg.rows, msg.ends, msg.n);
        // The input buffer goes back too: the pipeline refills it instead of allocating MBs per batch.
        port.postMessage({ type: 'scored', id: msg.id, scores: r.scores, attention: r.attention, input } satisfies FromWorker,
          [r.scores.buffer as ArrayBuffer, r.attention.buffer as ArrayBuffer, input.buffer as ArrayBuffer]);
      } catch (err) {
        port.postMessage(errorMessage(msg.id, err));
      }
    });
  });
}

void main();
