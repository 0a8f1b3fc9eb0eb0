import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DampedChannelStats, DampedStats } from '../src/features/damped-stats';
import { ContextTable } from '../src/features/context-table';

test('damped stats: weight, mean and std decay as 2^(-λΔt)', () => {
  const s = new DampedStats(1);
  s.update(10, 0);
  s.update(20, 1); // first point decayed by 1/2
  assert.equal(s.w, 1.5);
  assert.ok(Math.abs(s.mean() - (5 + 20) / 1.5) < 1e-12);
  const m = 25 / 1.5;
  assert.ok(Math.abs(s.variance() - ((50 + 400) / 1.5 - m * m)) < 1e-9);
  assert.ok(Math.abs(s.weightAt(3) - 1.5 / 4) < 1e-12);
  assert.equal(s.w, 1.5, 'weightAt does not mutate');
});

test('damped stats: identical and backwards timestamps never amplify or produce NaN', () => {
  const s = new DampedStats(5);
  s.update(100, 10);
  s.update(100, 10);
  s.update(100, 5); // backwards: no decay, no growth
  assert.equal(s.w, 3);
  assert.equal(s.mean(), 100);
  assert.equal(s.std(), 0);
  assert.equal(s.weightAt(0), 3);
  const c = new DampedChannelStats(1);
  c.update(0, 60, 10);
  c.update(1, 1500, 9);
  c.update(0, 60, 9);
  for (const x of [c.magnitude(), c.radius(), c.covariance(), c.correlation()]) assert.ok(Number.isFinite(x));
});

test('damped channel stats: magnitude, radius and a positive correlation for co-moving sizes', () => {
  const c = new DampedChannelStats(0.01);
  for (let i = 0; i < 200; i++) {
    const big = i % 8 < 4;
    c.update(0, big ? 1000 : 100, i);
    c.update(1, big ? 900 : 50, i + 0.5);
  }
  const a = c.mean(0);
  const b = c.mean(1);
  assert.ok(a > 100 && a < 1000 && b > 50 && b < 900);
  assert.ok(Math.abs(c.magnitude() - Math.hypot(a, b)) < 1e-9);
  assert.ok(Math.abs(c.radius() - Math.sqrt(c.variance(0) + c.variance(1))) < 1e-9);
  assert.ok(c.correlation() > 0.5, `pcc ${c.correlation()}`);
  const d = new DampedChannelStats(0.01);
  for (let i = 0; i < 200; i++) {
    const big = i % 8 < 4;
    d.update(0, big ? 1000 : 100, i);
    d.update(1, big ? 50 : 900, i + 0.5);
  }
  assert.ok(d.correlation() < -0.5, `pcc ${d.correlation()}`);
});

test('context table: never exceeds its cap, keeps entries that stay in use, recycles slots', () => {
  const t = new ContextTable(100, 2, (slab, b) => {
    slab[b] = -1;
    slab[b + 1] = 0;
  });
  const put = (k: string, v: number) => {
    const f = t.find(k);
    const b = f >= 0 ? f : t.insert(k);
    t.slab[b] = v;
  };
  const get = (k: string) => {
    const b = t.find(k);
    return b < 0 ? undefined : t.slab[b];
  };
  put('hot', 1);
  for (let i = 0; i < 10_000; i++) {
    assert.equal(get(`k${i}`), undefined);
    const b = t.insert(`k${i}`);
    assert.equal(t.slab[b], -1, 'a recycled slot is re-initialised');
    t.slab[b] = i;
    assert.ok(t.size <= 100);
    if (i % 40 === 0) assert.equal(get('hot'), 1, `hot key evicted at ${i}`);
  }
  assert.ok(t.slab.length <= 100 * 2, `slab ${t.slab.length}`);
  assert.ok(t.evictions >= 10_000 - 100);
  assert.equal(get('k5'), undefined);
  assert.equal(get('k9999'), 9999);
  assert.equal(get('k9990'), 9990);
  t.delete('k9999');
  assert.equal(get('k9999'), undefined);
});
