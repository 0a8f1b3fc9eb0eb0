import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../features/schema';
import { initBackend, type BackendPreference } from '../model/backend';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../model/build-model';
import { fullReport } from '../model/metrics';
import { saveModelDir } from '../model/model-dir';
import { trainModel, type EpochRecord } from '../model/trainer';
import { tf } from '../model/tf';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { VERSION } from '../version';
import { TRAINING_DEFAULTS } from './recipe';
import { HeldOut } from './held-out';
import { promiseLine, type FalseIncidents } from '../model/false-incidents';
import { buildTrainingSet } from './training-set';
import { DEFAULT_INJECTION_KINDS, type InjectionKind } from './anomaly-injector';
import { windowStream } from './window-stream';
import { writeHistoryPlot } from './history-plot';
import { TrainingProgress } from './training-progress';


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
  /** Average the weights of this many best epochs (default: the recipe's; 1 keeps the best epoch). */
  averageEpochs?: number;
  /**
   * Experiments only: save every epoch's model, calibrated as the end would be, to DIR/epoch-N
   * (scripts/epoch-trajectory.ts measures each on the development networks).
   */
  epochSnapshots?: string;
  /** What early stopping watches (default: the recipe's): the held-out check, or the held-out loss. */
  earlyStopOn?: 'check' | 'loss';
  targetFpr: number;
  /** Lowest threshold a calibration without labels may choose (default: the recipe's). */
  thresholdFloor?: number;
  /** The floor of the per-epoch check's threshold (default: the recipe's earlyStopFloor, never above thresholdFloor). */
  earlyStopFloor?: number;
  /** Add synthetic anomalies (always on without labels). */
  synthetic: boolean;
  /** Benign novelty variants (docs/training.md); default on. */
  benignVariants?: boolean;
  /** Synthetic anomaly kinds (default: DEFAULT_INJECTION_KINDS, all but the opt-in ones). */
  syntheticKinds?: InjectionKind[];
  /** Independently seeded synthetic copies of the training part (default: the recipe's). */
  syntheticCopies?: number;
  decoyRate?: number;
  concurrentDecoyRate?: number;
  seed: number;
  out: string;
  backend: BackendPreference;
  /** Std of Gaussian noise added to training inputs (scaled units; 0 = none). */
  inputNoise?: number;
  /**
   * Start from this model's weights (fine-tuning) instead of fresh ones; its architecture is kept.
   * The scaler is fitted anew on these captures: it describes this network, the weights what
   * anomalous looks like.
   */
  initModel?: string;
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
  /** The epochs run, the most asked for, whether early stopping ended it, and the epochs whose weights were kept (1-based). */
  maxEpochs: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  keptEpochs: number[];
  patience: number;
  /** The threshold in false incidents on the held-out benign traffic (threshold.json says the same). */
  falseIncidents: FalseIncidents;
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
  const ts = await buildTrainingSet({ files: o.files, labels: o.labels, window: W, trainStride: o.trainStride, validationSplit: o.validationSplit, synthetic, benignVariants: o.benignVariants, kinds: o.syntheticKinds, syntheticCopies: o.syntheticCopies, decoyRate: o.decoyRate, concurrentDecoyRate: o.concurrentDecoyRate, seed: o.seed });
  const { matrices, train, val, scaler } = ts;
  const pos = train.filter((r) => r.label > 0).length;
  const neg = train.length - pos;
  if (pos === 0 || neg === 0) throw new LlnError('LLN_E_LABELS', `the training windows are all of one class (${pos} anomalous, ${neg} normal): give normal traffic, and labels that mark some of it anomalous`);
  logger.info(`training on ${train.length} windows (${pos} anomalous), validating on ${val.length}; backend ${backend}`);

  const init = o.initModel ? await loadInitModel(o.initModel, W) : null;
  const config: ModelConfig = init ? { ...init.config, seed: o.seed } : { ...DEFAULT_MODEL_CONFIG, ...o.model, window: W, features: FEATURE_COUNT, seed: o.seed };
  const heldOut = new HeldOut(matrices, val, ts.real, W);
  const calibration = { labelled: Boolean(o.labels), targetFpr: o.targetFpr, floor: o.thresholdFloor ?? TRAINING_DEFAULTS.thresholdFloor };
  const checkCalibration = { ...calibration, floor: Math.min(calibration.floor, o.earlyStopFloor ?? TRAINING_DEFAULTS.earlyStopFloor) };
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
      { train: windowStream(matrices, train, W, o.batchSize, o.seed, o.inputNoise ?? TRAINING_DEFAULTS.inputNoise), validation: val.length ? heldOut.set : undefined },
      {
        config,
        model: init?.model,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.learningRate,
        patience: o.patience,
        averageBest: o.averageEpochs ?? TRAINING_DEFAULTS.averageEpochs,
        stopOn: o.earlyStopOn ?? TRAINING_DEFAULTS.earlyStopOn,
        seed: o.seed,
        shouldStop: () => stop,
        check: heldOut.windows > 0 ? (model) => heldOut.check(model, checkCalibration) : undefined,
        onBatchEnd: (_b, logs) => progress?.batch(logs),
        onEpochEnd: (rec) => progress?.epoch(rec),
        onEpochModel: o.epochSnapshots ? async (epoch, model) => {
          const threshold = heldOut.calibrate(await heldOut.score(model), calibration);
          await saveModelDir(path.join(o.epochSnapshots!, `epoch-${epoch + 1}`), { model, config, scaler: scaler.toJSON(), schema: FEATURE_SCHEMA, threshold: { ...threshold, stride: o.stride }, report: { epoch: epoch + 1 } });
        } : undefined,
      },
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress?.stop();
  }

  if (result.averagedEpochs.length > 1) logger.info(`weights: the mean of epochs ${result.averagedEpochs.map((e) => e + 1).join(', ')} (the ${result.averagedEpochs.length} best by the held-out check)`);
  const held = await heldOut.score(result.model);
  const threshold = heldOut.calibrate(held, calibration);
  threshold.falseIncidents = heldOut.falseIncidents(held, threshold.value);
  logger.info(promiseLine(threshold.value, threshold.falseIncidents));
  // Per packet, real and synthetic held-out packets alike.
  const validation = fullReport(held.map((e) => e.score), held.map((e) => e.label), threshold.value);
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
    hyperParameters: { inputNoise: o.inputNoise ?? TRAINING_DEFAULTS.inputNoise, syntheticCopies: o.syntheticCopies ?? TRAINING_DEFAULTS.syntheticCopies, decoyRate: o.decoyRate ?? TRAINING_DEFAULTS.decoyRate, concurrentDecoyRate: o.concurrentDecoyRate ?? TRAINING_DEFAULTS.concurrentDecoyRate, thresholdFloor: calibration.floor, earlyStopFloor: checkCalibration.floor, epochs: o.epochs, batchSize: o.batchSize, validationSplit: o.validationSplit, learningRate: o.learningRate, window: W, stride: o.stride, trainStride: o.trainStride, patience: o.patience, averageEpochs: o.averageEpochs ?? TRAINING_DEFAULTS.averageEpochs, earlyStopOn: o.earlyStopOn ?? TRAINING_DEFAULTS.earlyStopOn, seed: o.seed, targetFpr: o.targetFpr, benignVariants: o.benignVariants !== false, initModel: o.initModel ? path.resolve(o.initModel) : null, syntheticKinds: o.syntheticKinds ?? DEFAULT_INJECTION_KINDS },
    model: config,
    history: result.history,
    bestEpoch: result.bestEpoch,
    averagedEpochs: result.averagedEpochs,
    stoppedEarly: result.stoppedEarly,
    interrupted: result.interrupted,
    threshold,
    validation,
    versions: { lln: VERSION, tfjs: tf.version.tfjs, node: process.version, featureSchema: FEATURE_SCHEMA.version },
    backend,
  };
  await saveModelDir(out, { model: result.model, config, scaler: scaler.toJSON(), schema: FEATURE_SCHEMA, threshold: { ...threshold, stride: o.stride }, report });
  writeHistoryPlot(path.join(out, 'training-history.svg'), result.history.map(toPoint), { keptEpochs: result.averagedEpochs.map((e) => e + 1), stoppedEarly: result.stoppedEarly, patience: o.patience, earlyStopFloor: checkCalibration.floor, stopOn: o.earlyStopOn ?? TRAINING_DEFAULTS.earlyStopOn });
  result.model.dispose();
  return { out, threshold: threshold.value, packets: ts.packets, trainWindows: train.length, valWindows: val.length, epochs: result.history.length, maxEpochs: o.epochs, stoppedEarly: result.stoppedEarly, interrupted: result.interrupted, keptEpochs: result.averagedEpochs.map((e) => e + 1), patience: o.patience, falseIncidents: threshold.falseIncidents, validation };
}

async function loadInitModel(dir: string, W: number) {
  const { loadModelDir } = await import('../model/model-dir');
  const loaded = await loadModelDir(dir, FEATURE_SCHEMA);
  if (loaded.config.window !== W) {
    loaded.model.dispose();
    throw new LlnError('LLN_E_USAGE', `--init-model ${dir} has a window of ${loaded.config.window} packets but --window is ${W}; use --window ${loaded.config.window}`);
  }
  logger.info(`fine-tuning ${loaded.id} on these captures`);
  return loaded;
}

function toPoint(r: EpochRecord) {
  const c = r.check?.figures;
  return { epoch: r.epoch, loss: r.loss, valLoss: r.valLoss ?? NaN, recall: c?.recall ?? NaN, benignFpr: c?.benignFpr ?? NaN, rocAuc: c?.rocAuc ?? NaN };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}
