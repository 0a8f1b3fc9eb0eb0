import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { FEATURE_COUNT } from '../features/schema';
import { ScalerFitter, type Scaler } from '../features/scaler';
import { readAllPackets } from '../pipeline/read-packets';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { TRAINING_DEFAULTS } from './recipe';
import { injectAnomalies, type InjectionKind } from './anomaly-injector';
import { coldSlices, renumberedPeers } from './benign-variants';
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
  /** Add benign novelty variants of the training part (renumbered peers, cold slices). */
  benignVariants?: boolean;
  /** Independently seeded synthetic copies of the training part (default: the recipe's). */
  syntheticCopies?: number;
  /** Decoy sessions per segment without an anomaly (default: the recipe's). */
  decoyRate?: number;
  /** Decoy sessions per segment with an anomaly, opening while it runs (default: the recipe's). */
  concurrentDecoyRate?: number;
  /** Synthetic anomaly kinds (default: DEFAULT_KINDS of the injector). */
  kinds?: InjectionKind[];
  seed: number;
}


export interface TrainingSet {
  matrices: FeatureMatrix[];
  /** Indices of matrices holding real traffic (as captured, or a benign variant of it), not synthetic anomalies: calibration uses only these. */
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
    // A capture too short to give both parts a full window trains whole: held out, it would
    // teach nothing and measure nothing.
    const split = Math.floor(packets.length * (1 - o.validationSplit));
    parts.push({ packets, labels, split: packets.length - split < W ? packets.length : split });
  }
  if (spec) logger.info(`labels: ${labelled} of ${offset} packets anomalous`);
  if (!parts.some((p) => p.split >= W)) {
    throw new LlnError('LLN_E_USAGE', `${offset} packets are too few to train with --window ${W} and --validation-split ${o.validationSplit}: give a capture of at least ${Math.ceil(W / Math.max(1 - o.validationSplit, 0.01)) + W} packets`);
  }

  const realMatrices = parts.map((p) => extractMatrix(p.packets, p.labels, true));
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
    // From the first packet on: the first windows are padded in front, as replay pads a capture's
    // first packets (a short capture is one padded window), so the model learns that too.
    set.train.push(...windowRefs(m, id, 0, p.split, o.trainStride, windowLabel, W));
    set.val.push(...windowRefs(m, id, p.split + W - 1, m.n, o.trainStride, windowLabel, W));
    if (o.benignVariants !== false) {
      // Training learns from them; the held-out part's variants join calibration, so the
      // threshold allows for benign novelty (a new peer, a cold start) as a new day brings it.
      const parts2 = [{ from: 0, to: p.split, refs: set.train, seed: o.seed + 31 * k }, { from: p.split, to: m.n, refs: set.val, seed: o.seed + 31 * k + 15 }];
      for (const h of parts2) {
        if (h.to - h.from < W) continue;
        const packets = p.packets.slice(h.from, h.to);
        const labels = p.labels.subarray(h.from, h.to);
        const variants = [{ packets: renumberedPeers(packets, h.seed + 1), labels: labels.slice() }];
        for (const [a, b] of coldSlices(packets.length, h.seed + 2, Math.max(4, Math.round(packets.length / 1000)))) {
          variants.push({ packets: packets.slice(a, b), labels: labels.slice(a, b) });
        }
        for (const v of variants) {
          const vm = extractMatrix(v.packets, v.labels);
          const vid = add(vm, true);
          h.refs.push(...windowRefs(vm, vid, 0, vm.n, o.trainStride * 2, windowLabel, W));
        }
      }
    }
    if (!o.synthetic) return;
    // Several independently seeded injections of the training part: with one, the model learns
    // those few hundred instances by heart (docs/training.md, "The recipe").
    const copies = o.syntheticCopies ?? TRAINING_DEFAULTS.syntheticCopies;
    const halves = [
      ...Array.from({ length: copies }, (_, c) => ({ packets: p.packets.slice(0, p.split), refs: set.train, seed: o.seed + 2 * k + 104729 * c })),
      { packets: p.packets.slice(p.split), refs: set.val, seed: o.seed + 2 * k + 7919 },
    ];
    for (const h of halves) {
      if (h.packets.length < W) continue;
      const inj = injectAnomalies(h.packets, { seed: h.seed, kinds: o.kinds, decoyRate: o.decoyRate ?? TRAINING_DEFAULTS.decoyRate, concurrentDecoyRate: o.concurrentDecoyRate ?? TRAINING_DEFAULTS.concurrentDecoyRate });
      const im = extractMatrix(inj.packets, inj.labels);
      const iid = add(im, false);
      h.refs.push(...windowRefs(im, iid, W - 1, im.n, o.trainStride, windowLabel, W, true));
    }
  });
  return set;
}
