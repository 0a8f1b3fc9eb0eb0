import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusion, fullReport, prAuc, recallAtFpr, rocAuc } from '../src/model/metrics';
import { nextFloat32Up, thresholdAtFpr, thresholdBestF1 } from '../src/model/calibrate';
import { LlnError } from '../src/errors';

const close = (a: number | null, b: number, eps = 1e-9): void => {
  assert.ok(a !== null && Math.abs(a - b) < eps, `${a} ≉ ${b}`);
};

test('ROC AUC: perfect = 1, reversed = 0, all tied = 0.5, hand-computed mixed case', () => {
  close(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]), 1);
  close(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]), 0);
  close(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]), 0.5);
  // Pairs (pos, neg): (0.8,0.9)=0 (0.8,0.3)=1 (0.4,0.9)=0 (0.4,0.3)=1 (0.4 vs 0.4 tie)=.5 ... 2 pos × 3 neg:
  // pos {0.8, 0.4}, neg {0.9, 0.3, 0.4}: 0.8 beats 0.3,0.4 → 2; 0.4 beats 0.3, ties 0.4 → 1.5; total 3.5/6.
  close(rocAuc([0.8, 0.4, 0.9, 0.3, 0.4], [1, 1, 0, 0, 0]), 3.5 / 6);
});

test('single-class inputs give null, never NaN', () => {
  assert.equal(rocAuc([0.1, 0.9], [1, 1]), null);
  assert.equal(rocAuc([0.1, 0.9], [0, 0]), null);
  assert.equal(prAuc([0.1, 0.9], [0, 0]), null);
  assert.equal(recallAtFpr([0.1, 0.9], [1, 1], 0.1), null);
  const r = fullReport([0.1, 0.2], [0, 0], 0.5);
  assert.equal(r.precision, null);
  assert.equal(r.recall, null);
  assert.equal(r.f1, null);
  assert.equal(r.fpr, 0);
  assert.equal(r.accuracy, 1);
  assert.ok(!JSON.stringify(r).includes('NaN'));
});

test('average precision: perfect = 1 and a hand-computed ranking', () => {
  close(prAuc([0.9, 0.8, 0.2], [1, 1, 0]), 1);
  // Ranked: 1(pos) 0.8(neg) 0.6(pos): AP = 0.5·1 + 0.5·(2/3).
  close(prAuc([1, 0.8, 0.6], [1, 0, 1]), 0.5 + 1 / 3);
  // All tied: one threshold, precision 1/2 at recall 1.
  close(prAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]), 0.5);
});

test('confusion and fullReport count score ≥ threshold as flagged', () => {
  const s = [0.9, 0.5, 0.49, 0.1, 0.7];
  const l = [1, 1, 1, 0, 0];
  assert.deepEqual(confusion(s, l, 0.5), { tp: 2, fp: 1, tn: 1, fn: 1 });
  const r = fullReport(s, l, 0.5);
  close(r.precision, 2 / 3);
  close(r.recall, 2 / 3);
  close(r.specificity, 0.5);
  close(r.fpr, 0.5);
  close(r.fnr, 1 / 3);
  close(r.f1, 2 / 3);
  close(r.accuracy, 0.6);
  assert.throws(() => confusion([1, 2], [1], 0.5));
});

test('thresholdAtFpr keeps the FPR on the benign set at or under the target, ties included', () => {
  const benign = Array.from({ length: 1000 }, (_, i) => i / 1000);
  for (const fpr of [0, 0.001, 0.01, 0.05, 0.1]) {
    const t = thresholdAtFpr(benign, fpr);
    const fp = benign.filter((v) => v >= t).length;
    assert.ok(fp <= Math.floor(fpr * 1000), `fpr ${fpr}: ${fp} false positives at ${t}`);
    assert.ok(fp >= Math.floor(fpr * 1000) - 1, `fpr ${fpr}: threshold not needlessly high (${fp})`);
  }
  // 5 tied maxima with a budget of 2: none may be flagged.
  const tied = [0.9, 0.9, 0.9, 0.9, 0.9, ...Array(95).fill(0.1)];
  const t = thresholdAtFpr(tied, 0.02);
  assert.equal(tied.filter((v) => v >= t).length, 0);
  assert.ok(Math.fround(t) > 0.9 && t === Math.fround(t), 'threshold survives float32 storage');
  assert.throws(() => thresholdAtFpr([], 0.01), (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_EMPTY');
  assert.ok(nextFloat32Up(0.5) > 0.5 && nextFloat32Up(0) > 0 && nextFloat32Up(-1) > -1);
});

test('recallAtFpr and thresholdBestF1 on a small hand case', () => {
  const s = [0.95, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1];
  const l = [1, 1, 0, 1, 0, 1, 0, 0];
  // FPR 0 on 4 negatives → threshold just above 0.8 → recall 2/4.
  close(recallAtFpr(s, l, 0), 0.5);
  const best = thresholdBestF1(s, l);
  // Candidates: ≥0.9 F1 = 4/6; ≥0.7 F1 = 6/8; ≥0.3 F1 = 8/10 (tp4 fp2 fn0) best.
  close(best.f1, 0.8);
  assert.equal(best.value, 0.3);
  assert.throws(() => thresholdBestF1([0.1], [0]), (e: unknown) => e instanceof LlnError && e.code === 'LLN_E_LABELS');
});
