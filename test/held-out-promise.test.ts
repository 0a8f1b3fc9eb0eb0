import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURE_COUNT } from '../src/features/schema';
import { HeldOut, type HeldOutPacket } from '../src/train/held-out';
import { poissonUpper95 } from '../src/model/false-incidents';
import type { FeatureMatrix } from '../src/train/feature-matrix';
import { addressKey, destinationKey } from '../src/pipeline/actor-hold';

/** A captured stream of n packets, one a second, between two hosts and a third. */
function stream(n: number, withHosts: boolean): FeatureMatrix {
  return {
    rows: new Float32Array(n * FEATURE_COUNT), labels: new Uint8Array(n), n,
    flows: new Float64Array(n), services: new Float64Array(n), times: Float64Array.from({ length: n }, (_, i) => 1_700_000_000 + i),
    hosts: withHosts ? {
      src: Array.from({ length: n }, (_, i) => (i < n / 2 ? '10.0.0.1' : '10.0.0.9')), dst: Array.from({ length: n }, () => '10.0.0.2'),
      actors: Float64Array.from({ length: n }, (_, i) => addressKey(i < n / 2 ? '10.0.0.1' : '10.0.0.9')), targets: Float64Array.from({ length: n }, () => destinationKey('10.0.0.2', 6, 443)),
    } : null,
  };
}

test('the threshold in false incidents: incidents the held-out benign packets raise, per day of their time, with a 95% bound', () => {
  const held = new HeldOut([stream(7201, true), stream(7201, false)], [], new Set([0, 1]), 32);
  const at = (m: number, p: number, score: number, label = 0): HeldOutPacket => ({ m, p, score, label });
  const packets = [
    at(0, 0, 0.1), at(0, 10, 0.995), at(0, 20, 0.999), // one incident (the same hosts, 10 s apart)
    at(0, 3000, 0.999), // a second, an hour later
    at(0, 4000, 0.999, 1), // an attack packet is no false incident
    at(0, 7200, 0.2),
    at(1, 5, 0.999), // a variant or copy (no hosts): not a captured stream's time
  ];
  const f = held.falseIncidents(packets, 0.99);
  assert.equal(f.count, 2);
  assert.equal(f.heldOutSeconds, 7200);
  assert.equal(f.perDay, 24);
  assert.ok(Math.abs(f.perDayAtMost - 6.3 * 12) < 1e-9);
  // Above every benign score: none, and what two hours can promise is at most 3 / 2 h.
  const none = held.falseIncidents(packets, 0.9999);
  assert.equal(none.count, 0);
  assert.ok(Math.abs(none.perDayAtMost - 36) < 1e-9);
});

test('poissonUpper95 grows with the count and stays above it', () => {
  let last = 0;
  for (let n = 0; n < 50; n++) {
    const u = poissonUpper95(n);
    assert.ok(u > n && u > last, `n=${n}: ${u}`);
    last = u;
  }
});

test('the held-out windows the trainer validates on carry each packet\'s own label, n*W of them (as the training stream does)', () => {
  const W = 4;
  const m = stream(10, true);
  m.labels.set([0, 0, 0, 1, 1, 0, 0, 0, 1, 0]);
  const refs = [{ m: 0, end: 1, label: 0 }, { m: 0, end: 5, label: 0.5 }, { m: 0, end: 9, label: 0.25 }];
  const held = new HeldOut([m], refs, new Set([0]), W);
  assert.equal(held.set.n, 3);
  assert.equal(held.set.y.length, 3 * W);
  // Window ending at row 1: two padding rows (0) in front of rows 0 and 1; then rows 2..5 and 6..9.
  assert.deepEqual(Array.from(held.set.y), [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0]);
});
