import { tf } from './tf';
import { buildModel, type ModelConfig } from './build-model';
import { SeededRandom } from '../seeded-random';

/** Windows held in memory: x is n*W*F row-major, y is n*W per-packet labels (0 normal, 1 anomalous). */
export interface WindowSet { x: Float32Array; y: Float32Array; n: number }
/** A batch stream for captures larger than memory: each call starts a fresh pass. */
export type WindowBatchStream = () => Iterator<WindowSet> | AsyncIterator<WindowSet>;

export interface TrainData {
  train: WindowSet | WindowBatchStream;
  /** Early stopping watches val loss; without validation it watches training loss. */
  validation?: WindowSet | WindowBatchStream;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  /** The held-out check of this epoch (TrainOptions.check), null without one. */
  check: EpochCheck | null;
  seconds: number;
}

/**
 * What an epoch's model does on held-out data, as the caller measures it (run-training: per
 * packet at the threshold calibration would pick). `monitor` is what early stopping maximises.
 */
export interface EpochCheck {
  monitor: number;
  figures: Record<string, number | null>;
}

export interface TrainOptions {
  /** Architecture of a new model; ignored when `model` continues training an existing one. */
  config: ModelConfig;
  model?: tf.LayersModel;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  /** Seeds shuffling and (overriding config.seed) the initializers and dropout. */
  seed?: number;
  onEpochEnd?: (rec: EpochRecord) => void;
  /** After each epoch's check, with the epoch's model (experiments keep every epoch: scripts/epoch-trajectory.ts). */
  onEpochModel?: (epoch: number, model: tf.LayersModel) => Promise<void>;
  onBatchEnd?: (batch: number, logs: tf.Logs | undefined) => void;
  /** Polled after every batch (Ctrl-C): training stops, best weights are kept. */
  shouldStop?: () => boolean;
  classWeight?: { 0: number; 1: number };
  /**
   * Held-out check after every epoch; when given, early stopping keeps the epoch with the highest
   * check.monitor instead of the lowest validation loss.
   */
  check?: (model: tf.LayersModel) => Promise<EpochCheck>;
  /**
   * What early stopping watches when a check is given: 'check' (default) its monitor, highest
   * best; 'loss' the validation loss, lowest best, with the check still run and recorded.
   */
  stopOn?: 'check' | 'loss';
  /**
   * Keep the mean of the weights of this many best epochs (by the monitored figure) instead of
   * the best epoch's alone. 1 (the default) keeps the best epoch.
   */
  averageBest?: number;
}

export interface TrainResult {
  model: tf.LayersModel;
  history: EpochRecord[];
  bestEpoch: number;
  /** The epochs whose weights were averaged into the result (0-based; [bestEpoch] without averaging). */
  averagedEpochs: number[];
  stoppedEarly: boolean;
  interrupted: boolean;
}


type Batch = { xs: tf.Tensor3D; ys: tf.Tensor2D };

function toTensors(b: WindowSet, window: number, features: number): Batch {
  return {
    xs: tf.tensor3d(b.x.subarray(0, b.n * window * features), [b.n, window, features]),
    ys: tf.tensor2d(b.y.subarray(0, b.n * window), [b.n, window]),
  };
}

/**
 * In-memory windows as batches; when `seed` is given every pass draws a new seeded
 * permutation (pass k uses the generator's k-th state), so reruns see the same orders.
 */
function inMemoryBatches(set: WindowSet, batchSize: number, window: number, features: number, seed: number | null): tf.data.Dataset<Batch> {
  const per = window * features;
  const rand = seed === null ? null : new SeededRandom(seed);
  return tf.data.generator(function* () {
    let order: Uint32Array;
    if (rand) order = rand.permutation(set.n);
    else {
      order = new Uint32Array(set.n);
      for (let i = 0; i < set.n; i++) order[i] = i;
    }
    for (let s = 0; s < set.n; s += batchSize) {
      const m = Math.min(batchSize, set.n - s);
      const x = new Float32Array(m * per);
      const y = new Float32Array(m * window);
      for (let k = 0; k < m; k++) {
        const r = order[s + k];
        x.set(set.x.subarray(r * per, (r + 1) * per), k * per);
        y.set(set.y.subarray(r * window, (r + 1) * window), k * window);
      }
      yield toTensors({ x, y, n: m }, window, features);
    }
  } as () => Iterator<Batch>);
}

function streamBatches(stream: WindowBatchStream, window: number, features: number): tf.data.Dataset<Batch> {
  return tf.data.generator(() => {
    const it = stream();
    return {
      next: async () => {
        const r = await it.next();
        return r.done ? { done: true, value: undefined } : { done: false, value: toTensors(r.value, window, features) };
      },
    } as unknown as Iterator<Batch>;
  });
}

function asDataset(src: WindowSet | WindowBatchStream, batchSize: number, w: number, f: number, seed: number | null): tf.data.Dataset<Batch> {
  return typeof src === 'function' ? streamBatches(src, w, f) : inMemoryBatches(src, batchSize, w, f, seed);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Trains with Adam on binary cross-entropy, early-stopping on the monitored loss with the
 * best epoch's weights restored. Same seed + data + backend → identical weights.
 */
export async function trainModel(data: TrainData, opts: TrainOptions): Promise<TrainResult> {
  const epochs = opts.epochs ?? 50;
  const batchSize = opts.batchSize ?? 32;
  const patience = opts.patience ?? 5;
  const seed = opts.seed ?? opts.config.seed;
  const model = opts.model ?? buildModel({ ...opts.config, seed });
  const window = model.inputs[0].shape[1] as number;
  const features = model.inputs[0].shape[2] as number;
  model.compile({ optimizer: tf.train.adam(opts.learningRate ?? 0.001), loss: 'binaryCrossentropy', metrics: ['accuracy'] });

  const trainDs = asDataset(data.train, batchSize, window, features, seed);
  const valDs = data.validation ? asDataset(data.validation, Math.max(batchSize, 256), window, features, null) : undefined;

  const history: EpochRecord[] = [];
  const keep = Math.max(1, Math.floor(opts.averageBest ?? 1));
  let waited = 0;
  /** The `keep` best epochs so far, best first (kept[0] is the best epoch): their weights are the result (averaged). */
  const kept: Array<{ epoch: number; monitored: number; weights: tf.Tensor[] }> = [];
  let stoppedEarly = false, interrupted = false;
  let epochStart = Date.now();
  const checkStop = (): void => {
    if (!interrupted && opts.shouldStop?.()) { interrupted = true; model.stopTraining = true; }
  };

  await model.fitDataset(trainDs, {
    epochs,
    validationData: valDs,
    classWeight: opts.classWeight,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => { epochStart = Date.now(); },
      onBatchEnd: async (batch, logs) => { opts.onBatchEnd?.(batch, logs); checkStop(); },
      onEpochEnd: async (epoch, logs) => {
        const seconds = (Date.now() - epochStart) / 1000;
        const check = opts.check && !interrupted ? await opts.check(model) : null;
        const rec: EpochRecord = {
          epoch, loss: num(logs?.loss) ?? NaN, accuracy: num(logs?.acc),
          valLoss: num(logs?.val_loss), valAccuracy: num(logs?.val_acc), check, seconds,
        };
        history.push(rec);
        opts.onEpochEnd?.(rec);
        if (opts.onEpochModel && !interrupted) await opts.onEpochModel(epoch, model);
        // An interrupted epoch is partial: its loss is not comparable, keep the last best.
        if (interrupted) return;
        // Lower is better: a loss, or the negated check.
        const monitored = check && opts.stopOn !== 'loss' ? -check.monitor : valDs ? rec.valLoss : rec.loss;
        const valid = monitored !== null && Number.isFinite(monitored);
        const improved = valid && (kept.length === 0 || monitored < kept[0].monitored);
        if (valid && (kept.length < keep || monitored < kept[kept.length - 1].monitored)) {
          kept.push({ epoch, monitored, weights: model.getWeights().map((w) => w.clone()) });
          kept.sort((a, b) => a.monitored - b.monitored || a.epoch - b.epoch);
          if (kept.length > keep) kept.pop()!.weights.forEach((t) => t.dispose());
        }
        if (improved) waited = 0;
        else if (++waited >= patience) {
          stoppedEarly = true; model.stopTraining = true;
        }
        checkStop();
      },
    },
  });

  if (kept.length > 0) {
    // Epochs of one run lie in one basin: their mean is a flatter, steadier point than any one of
    // them (weight averaging); batch-norm statistics are averaged alike.
    const mean = tf.tidy(() => kept[0].weights.map((_, i) => tf.addN(kept.map((k) => k.weights[i])).div(kept.length)));
    model.setWeights(mean);
    mean.forEach((t) => t.dispose());
    for (const k of kept) k.weights.forEach((t) => t.dispose());
  }
  const bestEpoch = kept.length > 0 ? kept[0].epoch : -1;
  const averagedEpochs = kept.map((k) => k.epoch).sort((a, b) => a - b);
  return { model, history, bestEpoch, averagedEpochs, stoppedEarly, interrupted };
}
