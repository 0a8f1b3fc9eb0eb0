import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLlnError } from '../src/errors';
import { WindowBuilder } from '../src/features/window-builder';

interface Window { startFrame: number; endFrame: number; length: number; data: Float32Array }

/** Each due window written into a buffer pre-filled with -1 (so unwritten padding would show). */
function take(wb: WindowBuilder): Window {
  const data = new Float32Array(wb.W * wb.F).fill(-1);
  wb.writeWindow(data, 0);
  return { startFrame: wb.startId, endFrame: wb.endId, length: wb.length, data };
}

/** Push n packets (id = 100 + i, every feature = id) and collect all windows incl. the tail one. */
function run(W: number, S: number, F: number, n: number): Window[] {
  const wb = new WindowBuilder(W, S, F);
  const out: Window[] = [];
  for (let i = 1; i <= n; i++) {
    wb.ring.fill(100 + i, wb.nextRow(), wb.nextRow() + F);
    if (wb.commit(100 + i)) out.push(take(wb));
  }
  if (wb.tailDue()) out.push(take(wb));
  assert.equal(wb.tailDue(), false, 'after the tail window nothing is due');
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

test('windows: written side by side into one batch buffer, at any offset', () => {
  const W = 4;
  const F = 2;
  const wb = new WindowBuilder(W, 1, F);
  const batch = new Float32Array(6 * W * F).fill(-1);
  let k = 0;
  for (let i = 1; i <= 8; i++) {
    wb.ring.fill(i, wb.nextRow(), wb.nextRow() + F);
    if (wb.commit(i)) wb.writeWindow(batch, (k++) * W * F);
  }
  assert.equal(k, 5);
  assert.deepEqual(Array.from(batch.subarray(0, W * F)), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(Array.from(batch.subarray(4 * W * F, 5 * W * F)), [5, 5, 6, 6, 7, 7, 8, 8]);
  assert.ok(batch.subarray(5 * W * F).every((x) => x === -1), 'nothing written past the last window');
});

test('windows: invalid W, S or F is a usage error', () => {
  for (const [W, S, F] of [[1, 1, 3], [4, 5, 3], [4, 0, 3], [4, 2, 0], [4.5, 2, 3]]) {
    assert.throws(() => new WindowBuilder(W, S, F), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_USAGE', `${W},${S},${F}`);
  }
});
