import { thresholdAtFpr } from './calibrate';

/** Scores and 0/1 labels; any array-like (Float32Array from the scorer, plain arrays in tests). */
export type Scores = ArrayLike<number>;
export type Labels = ArrayLike<number>;

export interface Confusion { tp: number; fp: number; tn: number; fn: number }

export interface FullReport extends Confusion {
  threshold: number;
  /** Every ratio is null when undefined (0/0), never NaN: reports are JSON. */
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  specificity: number | null;
  fpr: number | null;
  fnr: number | null;
  f1: number | null;
  rocAuc: number | null;
  prAuc: number | null;
}

function checkLengths(scores: Scores, labels: Labels): void {
  if (scores.length !== labels.length) throw new Error(`metrics: ${scores.length} scores but ${labels.length} labels`);
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** A window is flagged when score ≥ threshold (the same rule the alert policy uses). */
export function confusion(scores: Scores, labels: Labels, threshold: number): Confusion {
  checkLengths(scores, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i] >= threshold;
    if (labels[i] > 0.5) { if (flagged) c.tp++; else c.fn++; } else if (flagged) c.fp++; else c.tn++;
  }
  return c;
}

/** Indices sorted by score descending (ties keep index order; callers group ties themselves). */
function orderDesc(scores: Scores): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[b] - scores[a] || a - b);
}

/**
 * ROC AUC = P(score of a random positive > a random negative), ties counting 1/2
 * (Mann-Whitney U with mid-ranks). Null when one class is absent.
 */
export function rocAuc(scores: Scores, labels: Labels): number | null {
  checkLengths(scores, labels);
  const idx = orderDesc(scores);
  let pos = 0, neg = 0, u = 0, negAbove = 0;
  for (let i = 0; i < idx.length;) {
    let j = i, gp = 0, gn = 0;
    while (j < idx.length && scores[idx[j]] === scores[idx[i]]) { if (labels[idx[j]] > 0.5) gp++; else gn++; j++; }
    // Positives in this tie group lose to every negative above and tie with the group's negatives.
    u += gp * (negAbove + gn / 2);
    negAbove += gn; pos += gp; neg += gn; i = j;
  }
  if (pos === 0 || neg === 0) return null;
  return 1 - u / (pos * neg);
}

/**
 * Average precision: Σ (R_k − R_{k−1}) · P_k over distinct score thresholds, descending
 * (tied scores enter together). Null without positives.
 */
export function prAuc(scores: Scores, labels: Labels): number | null {
  checkLengths(scores, labels);
  const idx = orderDesc(scores);
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) totalPos++;
  if (totalPos === 0) return null;
  let tp = 0, seen = 0, ap = 0;
  for (let i = 0; i < idx.length;) {
    let j = i, gp = 0;
    while (j < idx.length && scores[idx[j]] === scores[idx[i]]) { if (labels[idx[j]] > 0.5) gp++; j++; }
    tp += gp; seen += j - i;
    if (gp > 0) ap += (gp / totalPos) * (tp / seen);
    i = j;
  }
  return ap;
}

/** Recall at the threshold that keeps the false-positive rate on these negatives ≤ fpr. */
export function recallAtFpr(scores: Scores, labels: Labels, fpr: number): number | null {
  checkLengths(scores, labels);
  const negatives: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!(labels[i] > 0.5)) negatives.push(scores[i]);
  if (negatives.length === 0 || negatives.length === scores.length) return null;
  const c = confusion(scores, labels, thresholdAtFpr(negatives, fpr));
  return ratio(c.tp, c.tp + c.fn);
}

export function fullReport(scores: Scores, labels: Labels, threshold: number): FullReport {
  const c = confusion(scores, labels, threshold);
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return {
    ...c,
    threshold,
    accuracy: ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn),
    precision,
    recall,
    specificity: ratio(c.tn, c.tn + c.fp),
    fpr: ratio(c.fp, c.fp + c.tn),
    fnr: ratio(c.fn, c.fn + c.tp),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    rocAuc: rocAuc(scores, labels),
    prAuc: prAuc(scores, labels),
  };
}
