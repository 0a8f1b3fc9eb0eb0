import assert from 'node:assert/strict';

/**
 * The feature columns' log1p is fastLog1p (within 1.6e-6 of Math.log1p), stored as float32
 * (half an ulp is ≤ 1e-6 below 16): a hand-checked log column must be within 3e-6 of log1p(x).
 */
export function assertLog1p(actual: number, x: number, what = ''): void {
  const want = Math.log1p(x);
  assert.ok(Math.abs(actual - want) <= 3e-6, `${what} ${actual} is not log1p(${x}) = ${want}`);
}
