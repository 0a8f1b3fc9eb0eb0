import { FEATURE_COUNT } from '../features/schema';
import { cutWindowFromRows } from '../features/window-cut';
import type { FeatureMatrix } from './feature-matrix';

/**
 * A training window: the W rows of matrix `m` ending at row `end`. `label` is the fraction of its
 * packets that are anomalous (to count and pick windows); the training targets are the packets'
 * own labels (cutLabels).
 */
export interface WindowRef {
  m: number;
  end: number;
  label: number;
}

/** Copy the window ending at row `end` of matrix `m` into out[offset..] (cutWindowFromRows: the layout the scorers cut). */
export function cutWindow(m: FeatureMatrix, end: number, W: number, out: Float32Array, offset: number): void {
  cutWindowFromRows(m.rows, FEATURE_COUNT, end, W, out, offset);
}

/** The per-packet targets of the window ending at row `end` (padding rows in front are 0). */
export function cutLabels(m: FeatureMatrix, end: number, W: number, out: Float32Array, offset: number): void {
  const first = end - W + 1;
  for (let r = 0; r < W; r++) out[offset + r] = first + r >= 0 ? m.labels[first + r] : 0;
}

/**
 * Materialise windows (for scoring a held-out set, or a dataset that fits in memory) with their
 * per-packet targets, n*W of them, as the trainer reads them (a WindowSet): the training stream's
 * layout (window-stream.ts). One target per window here once made the held-out loss compare
 * each packet with another window's anomalous fraction, or with 0.
 */
export function cutWindows(matrices: FeatureMatrix[], refs: WindowRef[], W: number): { x: Float32Array; y: Float32Array; n: number } {
  const size = W * FEATURE_COUNT;
  const x = new Float32Array(refs.length * size);
  const y = new Float32Array(refs.length * W);
  refs.forEach((r, i) => {
    cutWindow(matrices[r.m], r.end, W, x, i * size);
    cutLabels(matrices[r.m], r.end, W, y, i * W);
  });
  return { x, y, n: refs.length };
}

/**
 * Window ends in rows [from, to) of a matrix, every `stride` rows, always including the last.
 * `anomalousOnly` keeps just windows with some anomalous packet (synthetic streams contribute those).
 */
export function windowRefs(
  matrix: FeatureMatrix,
  m: number,
  from: number,
  to: number,
  stride: number,
  labelOf: (labels: Uint8Array, first: number, end: number) => number,
  W: number,
  anomalousOnly = false,
): WindowRef[] {
  const refs: WindowRef[] = [];
  const push = (end: number) => {
    const label = labelOf(matrix.labels, Math.max(0, end - W + 1), end);
    if (!anomalousOnly || label > 0) refs.push({ m, end, label });
  };
  let last = -1;
  for (let end = from; end < to; end += stride) {
    push(end);
    last = end;
  }
  if (to - 1 > last && to - 1 >= from) push(to - 1);
  return refs;
}
