import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../features/schema';
import { initBackend, type BackendPreference } from '../model/backend';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../model/build-model';
import { thresholdAtFpr, thresholdBestF1 } from '../model/calibrate';
import { fullReport } from '../model/metrics';
import { saveModelDir } from '../model/model-dir';
import { trainModel, type EpochRecord } from '../model/trainer';
import { tf } from '../model/tf';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { VERSION } from '../version';
import { cutWindows } from './window-refs';
import { buildTrainingSet } from './training-set';
import { windowStream } from './window-stream';
import { writeHistoryPlot } from './history-plot';
import { TrainingProgress } from './training-progress';

/** Lowest threshold a calibration without labels may choose (see README, "Scoring semantics"). */
export const MIN_UNLABELLED_THRESHOLD = 0.5;
export const DEFAULT_INPUT_NOISE = 0.1;

export interface TrainingOptions {
  files: string[];
  labels?: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  learningRate: number;
  window: number;
  /** Replay stride recorded with the model. */
  stride: number;
  /** Packets between consecutive training windows. */
  trainStride: number;
  patience: number;
  targetFpr: number;
  /** Add synthetic anomalies (always on without labels). */
  synthetic: boolean;
  seed: number;
  out: string;
  backend: BackendPreference;
  /** Std of Gaussian noise added to training inputs (scaled units; 0 = none). */
  inputNoise?: number;
  /** Model size overrides (tests use tiny models). */
  model?: Partial<ModelConfig>;
  progress?: boolean;
}

export interface TrainingSummary {
  out: string;
  threshold: number;
  packets: number;
  trainWindows: number;
  valWindows: number;
  epochs: number;
  validation: ReturnType<typeof fullReport>;
}

/**
 * `lln-detect train`: captures → the replay feature path → windows → model → calibrated
 * threshold → model directory. Without labels the model learns to tell real windows from
 * real windows with documented synthetic anomalies injected (docs/training.md).
 */
export async function runTraining(o: TrainingOptions): Promise<TrainingSummary> {
  const backend = await initBackend(o.backend);
  const W = o.window;
  if (o.trainStride > W || o.stride > W) throw new LlnError('LLN_E_USAGE', `--stride and --train-stride must be at most --window (${W}), or some packets would never be scored`);
  const synthetic = o.synthetic || !o.labels;
  const ts = await buildTrainingSet({ files: o.files, labels: o.labels, window: W, trainStride: o.trainStride, validationSplit: o.validationSplit, synthetic, seed: o.seed });
  const { matrices, train, val, scaler } = ts;
  const pos = train.filter((r) => r.label > 0).length;
  const neg = train.length - pos;
  if (pos === 0 || neg === 0) throw new LlnError('LLN_E_LABELS', `the training windows are all of one class (${pos} anomalous, ${neg} normal): give normal traffic, and labels that mark some of it anomalous`);
  logger.info(`training on ${train.length} windows (${pos} anomalous), validating on ${val.length}; backend ${backend}`);

  const config: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...o.model, window: W, features: FEATURE_COUNT, seed: o.seed };
  const progress = o.progress === false ? null : new TrainingProgress(o.epochs, Math.ceil(train.length / o.batchSize));
  let stop = false;
  const onSigint = () => {
    stop = true;
    logger.warn('interrupted: finishing this batch, then saving the best model so far');
  };
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await trainModel(
      { train: windowStream(matrices, train, W, o.batchSize, o.seed, o.inputNoise ?? DEFAULT_INPUT_NOISE), validation: val.length ? cutWindows(matrices, val, W) : undefined },
      {
        config,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.learningRate,
        patience: o.patience,
        seed: o.seed,
        shouldStop: () => stop,
        onBatchEnd: (_b, logs) => progress?.batch(logs),
        onEpochEnd: (rec) => progress?.epoch(rec),
      },
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress?.stop();
  }

  // Threshold: held-out windows of REAL traffic (labelled → best F1; else target FPR on benign).
  const valSet = cutWindows(matrices, val, W);
  const valScores = await scoreWindows(result.model, valSet.x, valSet.n, W);
  const realVal = val.map((r, i) => ({ r, s: valScores[i] })).filter((e) => ts.real.has(e.r.m));
  const benign = realVal.filter((e) => e.r.label === 0).map((e) => e.s);
  let threshold;
  if (o.labels && realVal.some((e) => e.r.label >= 0.5)) {
    const best = thresholdBestF1(realVal.map((e) => e.s), realVal.map((e) => (e.r.label >= 0.5 ? 1 : 0)));
    threshold = { value: best.value, method: 'best-f1', f1: best.f1 };
  } else {
    // Never below the head's own decision boundary: held-out benign windows of one network
    // can score near 0, and a threshold of 0.01 turns any unfamiliar traffic into alerts.
    const atFpr = thresholdAtFpr(benign.length ? benign : Array.from(valScores), o.targetFpr);
    threshold = { value: Math.max(atFpr, MIN_UNLABELLED_THRESHOLD), method: 'target-fpr', targetFpr: o.targetFpr, thresholdAtTargetFpr: atFpr, floor: MIN_UNLABELLED_THRESHOLD, benignWindows: benign.length };
  }
  // Metrics count a window as anomalous when most of its packets are (soft target ≥ 0.5).
  const validation = fullReport(valScores, valSet.y.map((y) => (y >= 0.5 ? 1 : 0)), threshold.value);
  if (val.length === 0) logger.warn('no validation windows: the captures are too short for --validation-split; the threshold is uncalibrated');
  const out = o.out;
  mkdirSync(out, { recursive: true });
  const report = {
    createdAt: new Date().toISOString(),
    inputs: await Promise.all(o.files.map(async (f) => ({ path: path.resolve(f), sha256: await sha256File(f) }))),
    labels: o.labels ? { path: path.resolve(o.labels), sha256: await sha256File(o.labels), anomalousPackets: ts.labelled } : null,
    synthetic,
    packets: ts.packets,
    windows: { train: train.length, trainAnomalous: pos, validation: val.length },
    hyperParameters: { inputNoise: o.inputNoise ?? DEFAULT_INPUT_NOISE, epochs: o.epochs, batchSize: o.batchSize, validationSplit: o.validationSplit, learningRate: o.learningRate, window: W, stride: o.stride, trainStride: o.trainStride, patience: o.patience, seed: o.seed, targetFpr: o.targetFpr },
    model: config,
    history: result.history,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    interrupted: result.interrupted,
    threshold,
    validation,
    versions: { lln: VERSION, tfjs: tf.version.tfjs, node: process.version, featureSchema: FEATURE_SCHEMA.version },
    backend,
  };
  await saveModelDir(out, { model: result.model, config, scaler: scaler.toJSON(), schema: FEATURE_SCHEMA, threshold: { ...threshold, stride: o.stride }, report });
  writeHistoryPlot(path.join(out, 'training-history.svg'), result.history.map(toPoint));
  result.model.dispose();
  return { out, threshold: threshold.value, packets: ts.packets, trainWindows: train.length, valWindows: val.length, epochs: result.history.length, validation };
}

async function scoreWindows(model: tf.LayersModel, x: Float32Array, n: number, W: number): Promise<Float32Array> {
  const out = new Float32Array(n);
  const per = W * FEATURE_COUNT;
  for (let s = 0; s < n; s += 512) {
    const m = Math.min(512, n - s);
    const res = tf.tidy(() => model.predict(tf.tensor3d(x.subarray(s * per, (s + m) * per), [m, W, FEATURE_COUNT])) as tf.Tensor);
    out.set(await res.data(), s);
    res.dispose();
  }
  return out;
}

function toPoint(r: EpochRecord) {
  return { epoch: r.epoch, loss: r.loss, valLoss: r.valLoss ?? NaN, acc: r.accuracy ?? NaN, valAcc: r.valAccuracy ?? NaN };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}
