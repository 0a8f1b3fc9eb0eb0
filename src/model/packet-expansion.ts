import { tf } from './tf';

/**
 * Spreading per-step (or per-window) vectors over the W packets of a window, as matrix
 * products. tfjs's Tile on the wasm backend is a per-element index loop, and broadcasting
 * arithmetic is no faster: at batch 512 one Tile of [512, 32, 16] took ~30 ms where the same
 * result as a matMul takes ~4 ms (exactly the same numbers: every output is one product by 1).
 * The three Tiles were ~40% of the model's inference time.
 */
const cache = new Map<string, tf.Tensor>();

function kept(key: string, make: () => tf.Tensor): tf.Tensor {
  let t = cache.get(key);
  if (!t) {
    t = tf.keep(make());
    cache.set(key, t);
  }
  return t;
}

/** E [1, W, T] (T = ceil(W / pool)): E[p, i] = 1 when packet p lies in pooled step i = floor(p / pool). */
export function stepsToPacketsMatrix(window: number, poolSize: number, steps: number): tf.Tensor3D {
  return kept(`e/${window}/${poolSize}/${steps}`, () => {
    const v = new Float32Array(window * steps);
    for (let p = 0; p < window; p++) {
      const i = Math.floor(p / poolSize);
      if (i < steps) v[p * steps + i] = 1;
    }
    return tf.tensor3d(v, [1, window, steps]);
  }) as tf.Tensor3D;
}

/** ones [1, n, 1]: matMul(ones, x[B, 1, D]) repeats each window's vector over its n packets. */
export function repeatMatrix(n: number): tf.Tensor3D {
  return kept(`r/${n}`, () => tf.ones([1, n, 1])) as tf.Tensor3D;
}

type RepeatVectorLayer = tf.layers.Layer & { n: number };
const BuiltinRepeatVector = tf.layers.repeatVector({ n: 1 }).constructor as unknown as new (args: { n: number; name?: string }) => RepeatVectorLayer;

/**
 * tfjs's RepeatVector computed as a matMul instead of a Tile. It keeps the class name, so every
 * saved model (the shipped one, every model `train` wrote) loads it with no change to its files.
 */
export class RepeatVector extends BuiltinRepeatVector {
  static className = 'RepeatVector';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      return tf.matMul(repeatMatrix(this.n), tf.expandDims(x, 1));
    });
  }
}

// The static fromConfig is inherited from the built-in class; the type does not see it.
tf.serialization.registerClass(RepeatVector as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
