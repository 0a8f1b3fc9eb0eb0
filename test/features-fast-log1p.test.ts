import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastLog1p } from '../src/features/fast-log1p';
import { SeededRandom } from '../src/seeded-random';

const BOUND = 1.6e-6;

test('fastLog1p stays within 1.6e-6 of Math.log1p from 1e-12 to 1e15 and on every integer up to 2^20', () => {
  let worst = 0;
  const check = (x: number): void => {
    const err = Math.abs(fastLog1p(x) - Math.log1p(x));
    if (err > worst) worst = err;
    if (!(err <= BOUND)) assert.fail(`fastLog1p(${x}) = ${fastLog1p(x)}, Math.log1p = ${Math.log1p(x)}`);
  };
  for (let i = 1; i <= 1 << 20; i++) check(i);
  const rnd = new SeededRandom(3);
  for (let i = 0; i < 1_000_000; i++) check(10 ** (rnd.next() * 27 - 12));
  assert.ok(worst > 1e-7, `the bound is tight, not vacuous (worst ${worst})`);
});

test('fastLog1p never decreases, also across powers of two', () => {
  const rnd = new SeededRandom(4);
  const xs = Array.from({ length: 200_000 }, () => 10 ** (rnd.next() * 14 - 4)).sort((a, b) => a - b);
  for (let e = 1; e < 40; e++) xs.push(2 ** e - 1, 2 ** e - 1 - 2 ** (e - 40), 2 ** e - 1 + 2 ** (e - 40));
  xs.sort((a, b) => a - b);
  for (let i = 1; i < xs.length; i++) {
    if (xs[i] > xs[i - 1]) assert.ok(fastLog1p(xs[i]) >= fastLog1p(xs[i - 1]), `decreases between ${xs[i - 1]} and ${xs[i]}`);
  }
});

test('fastLog1p hands zero, negatives, huge and non-finite arguments to Math.log1p', () => {
  for (const x of [0, -0, -0.5, -1, -2, 1e300, 1.7e308, Infinity, -Infinity, NaN]) {
    assert.ok(Object.is(fastLog1p(x), Math.log1p(x)), `fastLog1p(${x}) = ${fastLog1p(x)}, Math.log1p = ${Math.log1p(x)}`);
  }
});
