import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { FEATURE_COUNT } from '../features/schema';
import { ScalerFitter, type Scaler } from '../features/scaler';
import { readAllPackets } from '../pipeline/read-packets';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { injectAnomalies } from './anomaly-injector';
import { extractMatrix, scaleMatrix, type FeatureMatrix } from './feature-matrix';
import { labelFor, parseLabelsFile, windowLabel } from './labels';
import { windowRefs, type WindowRef } from './window-refs';

export interface TrainingSetOptions {
  files: string[];
  labels?: string;
  window: number;
  trainStride: number;
  validationSplit: number;
  synthetic: boolean;
  seed: number;
}

export interface TrainingSet {
  matrices: FeatureMatrix[];
  /** Indices of matrices holding real (not synthetic) traffic: calibration uses only these. */
  real: Set<number>;
  train: WindowRef[];
  val: WindowRef[];
  scaler: Scaler;
  packets: number;
  labelled: number;
}

/**
 * Captures → per-packet feature rows → windows. Each file is its own stream (separate captures
 * are separate times and places: context statistics must not run from one into the next), and
 * the LAST validationSplit of each file is held out, so validation is always later traffic than
 * training and never shares a packet with it. Synthetic anomalies are injected into copies of
 * each part with fresh context state.
 */
export async function buildTrainingSet(o: TrainingSetOptions): Promise<TrainingSet> {
  const W = o.window;
  const spec = o.labels ? parseLabelsFile(o.labels) : null;
  const parts: Array<{ packets: DecodedPacket[]; labels: Uint8Array; split: number }> = [];
  let offset = 0;
  let labelled = 0;
  for (const file of o.files) {
    const { packets } = await readAllPackets([file]);
    const labels = new Uint8Array(packets.length);
    for (let i = 0; i < packets.length; i++) {
      packets[i].frame += offset; // labels files number frames across all files, in order
      if (spec) labelled += labels[i] = labelFor(spec, packets[i]) ?? 0;
    }
    offset += packets.length;
    parts.push({ packets, labels, split: Math.floor(packets.length * (1 - o.validationSplit)) });
  }
  if (spec) logger.info(`labels: ${labelled} of ${offset} packets anomalous`);
  if (!parts.some((p) => p.split >= W)) {
    throw new LlnError('LLN_E_USAGE', `${offset} packets are too few to train with --window ${W} and --validation-split ${o.validationSplit}: give a capture of at least ${Math.ceil(W / Math.max(1 - o.validationSplit, 0.01)) + W} packets`);
  }

  const realMatrices = parts.map((p) => extractMatrix(p.packets, p.labels));
  const fitter = new ScalerFitter();
  realMatrices.forEach((m, k) => {
    for (let i = 0; i < parts[k].split; i++) if (m.labels[i] === 0) fitter.add(m.rows, i * FEATURE_COUNT);
  });
  const scaler = fitter.finish();

  const set: TrainingSet = { matrices: [], real: new Set(), train: [], val: [], scaler, packets: offset, labelled };
  const add = (m: FeatureMatrix, real: boolean): number => {
    scaleMatrix(m, scaler);
    set.matrices.push(m);
    if (real) set.real.add(set.matrices.length - 1);
    return set.matrices.length - 1;
  };
  parts.forEach((p, k) => {
    const id = add(realMatrices[k], true);
    const m = realMatrices[k];
    set.train.push(...windowRefs(m, id, W - 1, p.split, o.trainStride, windowLabel, W));
    set.val.push(...windowRefs(m, id, p.split + W - 1, m.n, o.trainStride, windowLabel, W));
    if (!o.synthetic) return;
    const halves = [
      { packets: p.packets.slice(0, p.split), refs: set.train, seed: o.seed + 2 * k },
      { packets: p.packets.slice(p.split), refs: set.val, seed: o.seed + 2 * k + 7919 },
    ];
    for (const h of halves) {
      if (h.packets.length < W) continue;
      const inj = injectAnomalies(h.packets, { seed: h.seed });
      const im = extractMatrix(inj.packets, inj.labels);
      const iid = add(im, false);
      h.refs.push(...windowRefs(im, iid, W - 1, im.n, o.trainStride, windowLabel, W, true));
    }
  });
  return set;
}
