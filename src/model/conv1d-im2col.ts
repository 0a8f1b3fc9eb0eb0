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
 * A 1-D convolution ('same' padding, stride 1) written as im2col + one matMul.
 * Why: tf.layers.conv1d cannot train on the wasm backend (its gradient needs the
 * Conv2DBackpropFilter kernel, which wasm lacks); pad/slice/concat/matMul all have wasm
 * gradients. Weights use Conv1D's layout (kernel [k, inChannels, filters], bias [filters]) so
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

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [batch, steps, channels] = x.shape;
      const k = this.kernelSize;
      // 'same' as TensorFlow does it: the extra pad of an even kernel goes on the right.
      const left = Math.floor((k - 1) / 2);
      const padded = k > 1 ? tf.pad(x, [[0, 0], [left, k - 1 - left], [0, 0]]) : x;
      const slices: tf.Tensor3D[] = [];
      for (let j = 0; j < k; j++) slices.push(tf.slice(padded, [0, j, 0], [batch, steps, channels]));
      // Column j*C + c holds input channel c at offset j: matches kernel [k, C, F] flattened.
      const cols = k > 1 ? tf.concat(slices, 2) : slices[0];
      const flat = tf.reshape(cols, [batch * steps, k * channels]);
      const w = tf.reshape(this.kernel!.read(), [k * channels, this.filters]);
      const y = tf.add(tf.matMul(flat, w), this.bias!.read());
      return activate(tf.reshape(y, [batch, steps, this.filters]), this.activation);
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
