import { FEATURE_COUNT } from '../features/schema';
import { thresholdAtFpr, thresholdBestF1 } from '../model/calibrate';
import { rocAuc } from '../model/metrics';
import type { EpochCheck } from '../model/trainer';
import { tf } from '../model/tf';
import { ActorHold } from '../pipeline/actor-hold';
import { FlowHold } from '../pipeline/flow-hold';
import { IncidentTracker } from '../outputs/incident-tracker';
import { poissonUpper95, type FalseIncidents } from '../model/false-incidents';
import type { FeatureMatrix } from './feature-matrix';
import { cutWindows, type WindowRef } from './window-refs';

/**
 * One held-out packet as replay would score it: the max of its own probability over the windows
 * holding it, then the flow verdict with its look-back (flow-hold.ts).
 */
export interface HeldOutPacket { m: number; p: number; score: number; label: number }

export type ThresholdRecord = (
  | { value: number; method: 'best-f1'; f1: number }
  | { value: number; method: 'target-fpr'; targetFpr: number; thresholdAtTargetFpr: number; floor: number; benignPackets: number }
) & { falseIncidents?: FalseIncidents };


/**
 * The held-out part of training (the last validation-split of every capture, and its synthetic
 * copy): scored per packet, calibrated, and measured the way a user meets the model.
 */
export class HeldOut {
  /** The held-out windows, cut once: the trainer's validation loss and the checks both use them. */
  readonly set: { x: Float32Array; y: Float32Array; n: number };

  constructor(private readonly matrices: FeatureMatrix[], private readonly refs: WindowRef[], private readonly real: Set<number>, private readonly W: number) {
    this.set = cutWindows(matrices, refs, W);
  }

  get windows(): number {
    return this.refs.length;
  }

  /** flowVerdict false: the model's own per-packet scores, without the flow verdict (the epoch check). */
  async score(model: tf.LayersModel, flowVerdict = true): Promise<HeldOutPacket[]> {
    const { W } = this;
    const scores = await scoreWindows(model, this.set.x, this.set.n, W);
    const best = new Map<number, Float32Array>();
    this.refs.forEach((r, i) => {
      let row = best.get(r.m);
      if (!row) best.set(r.m, (row = new Float32Array(this.matrices[r.m].n).fill(-1)));
      for (let k = 0; k < W; k++) {
        const p = r.end - W + 1 + k;
        if (p >= 0 && scores[i * W + k] > row[p]) row[p] = scores[i * W + k];
      }
    });
    const out: HeldOutPacket[] = [];
    for (const [m, row] of best) {
      const { flows, services, times, labels } = this.matrices[m];
      // Each held-out part is replayed on its own, in capture order; a look-back, or a judgement by its flow's neighbours, revises an entry by its index in `out`.
      const hold = new FlowHold((id, score) => { if (score > out[id].score) out[id].score = score; }, (id, score) => { out[id].score = score; });
      for (let p = 0; p < row.length; p++) {
        if (row[p] >= 0) out.push({ m, p, score: flowVerdict ? hold.apply(flows[p], services[p], times[p], p, row[p], -1, out.length) : row[p], label: labels[p] });
      }
    }
    return out;
  }

  /**
   * The threshold from REAL held-out packets: with labels, best F1; else the target FPR on the
   * benign ones, never below `floor` (held-out benign packets of one network can all score near
   * 0, and a threshold of 0.01 would turn any unfamiliar traffic into alerts).
   */
  calibrate(held: HeldOutPacket[], o: { labelled: boolean; targetFpr: number; floor: number }): ThresholdRecord {
    const real = held.filter((e) => this.real.has(e.m));
    if (o.labelled && real.some((e) => e.label === 1)) {
      const best = thresholdBestF1(real.map((e) => e.score), real.map((e) => e.label));
      return { value: best.value, method: 'best-f1', f1: best.f1 };
    }
    const benign = real.filter((e) => e.label === 0).map((e) => e.score);
    const atFpr = thresholdAtFpr(benign.length ? benign : held.map((e) => e.score), o.targetFpr);
    return { value: Math.max(atFpr, o.floor), method: 'target-fpr', targetFpr: o.targetFpr, thresholdAtTargetFpr: atFpr, floor: o.floor, benignPackets: benign.length };
  }

  /** The incidents the held-out benign packets of the captured streams raise at `threshold`, after the actor verdict (see FalseIncidents). */
  falseIncidents(held: HeldOutPacket[], threshold: number): FalseIncidents {
    let count = 0, seconds = 0;
    const byMatrix = new Map<number, HeldOutPacket[]>();
    for (const e of held) {
      if (this.matrices[e.m].hosts === null) continue;
      let list = byMatrix.get(e.m);
      if (!list) byMatrix.set(e.m, (list = []));
      list.push(e);
    }
    for (const [m, list] of byMatrix) {
      const { times, hosts, flows } = this.matrices[m];
      const tracker = new IncidentTracker();
      const actors = new ActorHold(threshold);
      for (const e of list) {
        const score = actors.apply(hosts!.actors[e.p], hosts!.targets[e.p], flows[e.p], times[e.p], e.p + 1, e.score);
        if (e.label !== 0 || score < threshold) continue;
        tracker.add({ runId: 0, frame: e.p + 1, ts: times[e.p], srcIp: hosts!.src[e.p], dstIp: hosts!.dst[e.p], srcMac: null, dstMac: null, srcPort: null, dstPort: null, score, attentionFrame: -1 });
      }
      count += tracker.closeAll().length;
      seconds += Math.max(0, times[list[list.length - 1].p] - times[list[0].p]);
    }
    const days = Math.max(seconds, 1) / 86400;
    return { count, heldOutSeconds: seconds, perDay: count / days, perDayAtMost: poissonUpper95(count) / days };
  }

  /**
   * The epoch check: calibrate as training will at the end (under the recipe's earlyStopFloor, the
   * caller's `floor`), then the share of held-out anomalous
   * packets (synthetic, or labelled) at or above that threshold, and the real benign packets'
   * FPR there. Early stopping keeps the epoch that catches the most at the user's threshold
   * (or, with the recipe's earlyStopOn 'loss', the lowest held-out loss; this still runs).
   * The model's own scores, without the flow verdict: the verdict is a fixed rule on top of them,
   * the same for every epoch, and the recipe was measured choosing epochs this way.
   */
  async check(model: tf.LayersModel, o: { labelled: boolean; targetFpr: number; floor: number }): Promise<EpochCheck> {
    const held = await this.score(model, false);
    const thr = this.calibrate(held, o).value;
    let pos = 0, tp = 0, benign = 0, fp = 0;
    for (const e of held) {
      if (e.label === 1) { pos++; if (e.score >= thr) tp++; } else if (this.real.has(e.m)) { benign++; if (e.score >= thr) fp++; }
    }
    const recall = pos ? tp / pos : null;
    return {
      monitor: recall ?? 0,
      figures: { threshold: thr, recall, benignFpr: benign ? fp / benign : null, rocAuc: rocAuc(held.map((e) => e.score), held.map((e) => e.label)) },
    };
  }
}

/** Per-packet scores of n windows: n*W. */
export async function scoreWindows(model: tf.LayersModel, x: Float32Array, n: number, W: number): Promise<Float32Array> {
  const out = new Float32Array(n * W);
  const per = W * FEATURE_COUNT;
  for (let s = 0; s < n; s += 512) {
    const m = Math.min(512, n - s);
    const res = tf.tidy(() => model.predict(tf.tensor3d(x.subarray(s * per, (s + m) * per), [m, W, FEATURE_COUNT])) as tf.Tensor);
    out.set(await res.data(), s * W);
    res.dispose();
  }
  return out;
}
