import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLlnError } from '../src/errors';
import { WindowBuilder } from '../src/features/window-builder';
import type { Window } from '../src/features/window';

/** Push n packets (frame = 100 + i, every feature = frame) and collect all windows incl. flush. */
function run(W: number, S: number, F: number, n: number): Window[] {
  const wb = new WindowBuilder(W, S, F);
  const vec = new Float32Array(F + 3);
  const out: Window[] = [];
  for (let i = 1; i <= n; i++) {
    vec.fill(100 + i, 3);
    const w = wb.push(100 + i, vec, 3);
    if (w) out.push(w);
  }
  const last = wb.flush();
  if (last) out.push(last);
  assert.equal(wb.flush(), null, 'flush is idempotent');
  return out;
}

test('windows: every packet covered, rows hold the right packets, padding at the front', () => {
  const F = 3;
  for (const W of [2, 3, 5, 8, 16]) {
    for (let S = 1; S <= W; S++) {
      for (const n of [0, 1, W - 1, W, W + 1, 2 * W + 3, 5 * W + S + 1]) {
        const wins = run(W, S, F, n);
        const covered = new Uint8Array(n + 1);
        for (const w of wins) {
          assert.equal(w.data.length, W * F);
          assert.equal(w.endFrame - w.startFrame + 1, w.length, `W=${W} S=${S} n=${n}`);
          for (let r = 0; r < W; r++) {
            const pad = r < W - w.length;
            const expect = pad ? 0 : w.startFrame + (r - (W - w.length));
            for (let f = 0; f < F; f++) assert.equal(w.data[r * F + f], expect, `W=${W} S=${S} n=${n} row ${r}`);
            if (!pad) covered[expect - 100] = 1;
          }
        }
        for (let i = 1; i <= n; i++) assert.equal(covered[i], 1, `W=${W} S=${S} n=${n}: packet ${i} not covered`);
        if (n === 0) assert.equal(wins.length, 0);
        if (n > 0 && n < W) {
          assert.equal(wins.length, 1);
          assert.equal(wins[0].length, n);
        } else {
          for (const w of wins) assert.equal(w.length, W);
        }
        // Emission schedule: ends at W, W+S, ... plus at most one extra at n.
        const ends = wins.map((w) => w.endFrame - 100);
        const scheduled = n >= W ? 1 + Math.floor((n - W) / S) : 0;
        assert.equal(wins.length, scheduled + (n > 0 && (n < W || (n - W) % S !== 0) ? 1 : 0), `count W=${W} S=${S} n=${n}`);
        for (let k = 0; k < scheduled; k++) assert.equal(ends[k], W + k * S);
      }
    }
  }
});

test('windows: each emitted window owns a fresh buffer', () => {
  const wb = new WindowBuilder(4, 1, 2);
  const v = new Float32Array(2);
  const wins: Window[] = [];
  for (let i = 1; i <= 8; i++) {
    v.fill(i);
    const w = wb.push(i, v, 0);
    if (w) wins.push(w);
  }
  assert.equal(wins.length, 5);
  assert.deepEqual(Array.from(wins[0].data), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(Array.from(wins[4].data), [5, 5, 6, 6, 7, 7, 8, 8]);
  assert.notEqual(wins[0].data.buffer, wins[1].data.buffer);
});

test('windows: invalid W, S or F is a usage error', () => {
  for (const [W, S, F] of [[1, 1, 3], [4, 5, 3], [4, 0, 3], [4, 2, 0], [4.5, 2, 3]]) {
    assert.throws(() => new WindowBuilder(W, S, F), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_USAGE', `${W},${S},${F}`);
  }
});
