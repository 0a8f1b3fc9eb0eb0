import path from 'node:path';
import { tf } from './tf';
import { LlnError } from '../errors';
import { WEIGHTS_BIN } from './file-io-handler';

/**
 * A model must prove itself on load: with NaN/Inf weights every score is NaN, which no
 * threshold ever flags, so the sensor would be blind while looking healthy.
 */
export function checkWeightsFinite(model: tf.LayersModel, dir: string): void {
  let bad = 0, total = 0;
  let first = '';
  for (const w of model.weights) {
    const v = w.read().dataSync();
    total += v.length;
    for (let i = 0; i < v.length; i++) {
      if (v[i] - v[i] !== 0) {
        bad++;
        first ||= w.originalName;
      }
    }
  }
  if (bad > 0) {
    const file = path.join(dir, WEIGHTS_BIN);
    throw new LlnError('LLN_E_MODEL', `${file} is broken: ${bad} of ${total} weights are NaN or infinite (first in ${first}); retrain the model or restore ${file}`);
  }
}

/**
 * Scores one window of zeros (every feature at its training mean, no flag set) and requires a
 * finite score in [0, 1] per packet and finite attention: finite weights can still overflow.
 */
export function probeModel(inference: tf.LayersModel, window: number, features: number, dir: string): void {
  const problem = tf.tidy(() => {
    const [p, a] = inference.predict(tf.zeros([1, window, features])) as tf.Tensor[];
    const scores = p.dataSync();
    for (const s of scores) if (!(s >= 0 && s <= 1)) return `scores ${s} for a test window (a probability in [0, 1] was expected)`;
    for (const x of a.dataSync()) if (x - x !== 0) return `gives attention ${x} for a test window`;
    return '';
  });
  if (problem) {
    const file = path.join(dir, WEIGHTS_BIN);
    throw new LlnError('LLN_E_MODEL', `${file} is broken: the model ${problem}; retrain the model or restore ${file}`);
  }
}
