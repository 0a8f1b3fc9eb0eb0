import { tf } from './tf';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';

export type ConvActivation = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'elu';

export interface Im2colConv1DArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  activation?: ConvActivation;
  /** Seed of the glorot-uniform kernel initializer: same seed, same starting weights. */
  seed?: number;
}

function activate(x: tf.Tensor, a: ConvActivation): tf.Tensor {
  switch (a) {
    case 'relu': return tf.relu(x);
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'elu': return tf.elu(x);
    default: return x;
  }
}

/**
 * A 1-D convolution ('same' padding, stride 1) built from matMul, pad, slice and addN
 * (named for the im2col design it started as; see call() for why it is shift-and-add now).
 * Why: tf.layers.conv1d cannot train on the wasm backend (its gradient needs the
 * Conv2DBackpropFilter kernel, which wasm lacks); these ops all have wasm gradients. Weights use Conv1D's layout (kernel [k, inChannels, filters], bias [filters]) so
 * the two are interchangeable weight for weight.
 */
export class Im2colConv1D extends tf.layers.Layer {
  static className = 'Im2colConv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly activation: ConvActivation;
  readonly seed: number | undefined;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: Im2colConv1DArgs) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters < 1) throw new Error(`Im2colConv1D: filters must be a positive integer, got ${args.filters}`);
    if (!Number.isInteger(args.kernelSize) || args.kernelSize < 1) throw new Error(`Im2colConv1D: kernelSize must be a positive integer, got ${args.kernelSize}`);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.activation = args.activation ?? 'linear';
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inChannels = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [this.kernelSize, inChannels, this.filters], 'float32',
      tf.initializers.glorotUniform({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], shape[1], this.filters];
  }

  /**
   * Shift-and-add form of the same convolution: Z_j = x·W_j (k matMuls over the unpadded
   * input), output[t] = Σ_j Z_j[t + j − left]. Why not the textbook im2col (pad, k input
   * slices, concat, one matMul): on wasm the copies of the C-wide input, not the arithmetic,
   * were the cost; shifting the F-wide products instead measured 2–2.5x faster at C=73, F=16
   * (a shift of the products along time by multiplying-then-padding). Same numbers as Conv1D.
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [batch, steps, channels] = x.shape;
      const k = this.kernelSize;
      const f = this.filters;
      const flat = tf.reshape(x, [batch * steps, channels]);
      const kernels = tf.unstack(this.kernel!.read()); // k × [C, F]
      // 'same' as TensorFlow does it: the extra pad of an even kernel goes on the right.
      const left = Math.floor((k - 1) / 2);
      const parts: tf.Tensor[] = [];
      for (let j = 0; j < k; j++) {
        const z = tf.reshape(tf.matMul(flat, kernels[j]), [batch, steps, f]);
        const shift = j - left; // output t reads z at t + shift, zero outside [0, steps)
        if (shift === 0) parts.push(z);
        else if (Math.abs(shift) >= steps) continue;
        else if (shift > 0) parts.push(tf.slice(tf.pad(z, [[0, 0], [0, shift], [0, 0]]), [0, shift, 0], [batch, steps, f]));
        else parts.push(tf.slice(tf.pad(z, [[0, 0], [-shift, 0], [0, 0]]), [0, 0, 0], [batch, steps, f]));
      }
      const y = parts.length === 1 ? parts[0] : tf.addN(parts);
      return activate(tf.add(y, this.bias!.read()), this.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      filters: this.filters, kernelSize: this.kernelSize, activation: this.activation,
    };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return { ...super.getConfig(), ...cfg };
  }
}

tf.serialization.registerClass(Im2colConv1D);
