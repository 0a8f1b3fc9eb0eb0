import { LlnError } from '../errors';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The smallest float32 strictly above x. Why float32: scores are float32 and thresholds may
 * be stored as float32; a double nudge (x + 1e-17) would round back to x and flag x again.
 */
export function nextFloat32Up(x: number): number {
  f32[0] = x;
  if (f32[0] > x) return f32[0];
  if (!Number.isFinite(f32[0])) return f32[0];
  if (f32[0] === 0) { u32[0] = 1; return f32[0]; }
  if (f32[0] > 0) u32[0] += 1; else u32[0] -= 1;
  return f32[0];
}

/**
 * Threshold so that at most floor(targetFpr·n) of these benign scores are ≥ it: the
 * (1−fpr) quantile, nudged just above the value at that rank, so FPR ≤ target on this set
 * (ties at the quantile fall below the threshold, never above the budget).
 */
export function thresholdAtFpr(benignScores: ArrayLike<number>, targetFpr: number): number {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new LlnError('LLN_E_USAGE', `target FPR must be in [0,1], got ${targetFpr}`);
  const n = benignScores.length;
  if (n === 0) throw new LlnError('LLN_E_EMPTY', 'no benign windows to calibrate the threshold on; give a longer capture or a smaller validation split');
  const sorted = Float64Array.from(benignScores).sort().reverse();
  const allowed = Math.floor(targetFpr * n + 1e-9);
  if (allowed >= n) return sorted[n - 1];
  return nextFloat32Up(sorted[allowed]);
}

export interface BestF1 { value: number; f1: number; precision: number; recall: number }

/**
 * The threshold (one of the scores) maximising F1 of "score ≥ threshold"; ties in F1 go
 * to the higher threshold (fewer alerts).
 */
export function thresholdBestF1(scores: ArrayLike<number>, labels: ArrayLike<number>): BestF1 {
  if (scores.length !== labels.length) throw new Error(`thresholdBestF1: ${scores.length} scores but ${labels.length} labels`);
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) totalPos++;
  if (totalPos === 0) throw new LlnError('LLN_E_LABELS', 'no anomalous windows in the labelled set: best-F1 calibration needs both classes; use a target FPR instead');
  const idx = Array.from(scores, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let tp = 0, fp = 0;
  let best: BestF1 = { value: nextFloat32Up(scores[idx[0]]), f1: 0, precision: 0, recall: 0 };
  for (let i = 0; i < idx.length;) {
    const v = scores[idx[i]];
    while (i < idx.length && scores[idx[i]] === v) { if (labels[idx[i]] > 0.5) tp++; else fp++; i++; }
    const f1 = (2 * tp) / (2 * tp + fp + (totalPos - tp));
    if (f1 > best.f1) best = { value: v, f1, precision: tp / (tp + fp), recall: tp / totalPos };
  }
  return best;
}
