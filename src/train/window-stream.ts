import { FEATURE_COUNT } from '../features/schema';
import type { WindowBatchStream, WindowSet } from '../model/trainer';
import type { FeatureMatrix } from './feature-matrix';
import { cutLabels, cutWindow, type WindowRef } from './window-refs';
import { SeededRandom } from '../seeded-random';

/**
 * Training batches cut on the fly from per-packet rows, in a new seeded order every pass:
 * only the rows (F floats a packet) stay in memory, never all windows (W×F floats each).
 */
export function windowStream(matrices: FeatureMatrix[], refs: WindowRef[], W: number, batchSize: number, seed: number, noise = 0): WindowBatchStream {
  let pass = 0;
  const size = W * FEATURE_COUNT;
  return function* (): Iterator<WindowSet> {
    const rand = new SeededRandom((seed ^ Math.imul(++pass, 0x9e3779b1)) >>> 0);
    const order = rand.permutation(refs.length);
    for (let s = 0; s < order.length; s += batchSize) {
      const n = Math.min(batchSize, order.length - s);
      const x = new Float32Array(n * size);
      const y = new Float32Array(n * W);
      for (let k = 0; k < n; k++) {
        const r = refs[order[s + k]];
        cutWindow(matrices[r.m], r.end, W, x, k * size);
        cutLabels(matrices[r.m], r.end, W, y, k * W);
      }
      // Gaussian input noise (in scaled units): one network's exact feature values must not be
      // what the model keys on, or every other network looks anomalous to it.
      if (noise > 0) for (let i = 0; i < x.length; i++) x[i] += noise * rand.normal();
      yield { x, y, n };
    }
  };
}
