import { tf } from './tf';
import { stepsToPacketsMatrix } from './packet-expansion';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';

export interface AdditiveSelfAttentionArgs extends LayerArgs {
  /** Width of the hidden scoring layer (the "attention dimension"). */
  units: number;
  /** Also output the attention weights [B, T] as a second output. */
  returnAttention?: boolean;
  seed?: number;
}

/**
 * Additive (Bahdanau-style) self-attention pooling over time:
 *   e_t = v·tanh(W h_t + b),  a = softmax_t(e),  context = Σ_t a_t h_t.
 * Why additive rather than scaled dot-product Q/K/V: we need ONE weight per time step to
 * explain a window ("which packet mattered"), and additive attention yields exactly that
 * vector, while dot-product self-attention gives a T×T matrix that would have to be
 * averaged into something less meaningful. It is also O(T) instead of O(T²) — the model's
 * throughput budget is tight. The weighted sum is the pooling step: it turns the BiLSTM's
 * sequence into one vector for the dense head.
 */
export class AdditiveSelfAttention extends tf.layers.Layer {
  static className = 'AdditiveSelfAttention';
  readonly units: number;
  readonly returnAttention: boolean;
  readonly seed: number | undefined;
  private w: tf.LayerVariable | null = null;
  private b: tf.LayerVariable | null = null;
  private v: tf.LayerVariable | null = null;

  constructor(args: AdditiveSelfAttentionArgs) {
    super(args);
    this.units = args.units;
    this.returnAttention = args.returnAttention ?? false;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1] as number;
    const seed = this.seed;
    this.w = this.addWeight('w', [dim, this.units], 'float32', tf.initializers.glorotUniform({ seed }));
    this.b = this.addWeight('b', [this.units], 'float32', tf.initializers.zeros());
    this.v = this.addWeight('v', [this.units, 1], 'float32',
      tf.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed + 1 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const context: tf.Shape = [shape[0], shape[2]];
    return this.returnAttention ? [context, [shape[0], shape[1]]] : context;
  }

  // No masks flow out; with two outputs tfjs wants one (null) mask per output.
  override computeMask(): tf.Tensor | tf.Tensor[] {
    return (this.returnAttention ? [null, null] : null) as unknown as tf.Tensor[];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [batch, steps, dim] = h.shape;
      const flat = tf.reshape(h, [batch * steps, dim]);
      const hidden = tf.tanh(tf.add(tf.matMul(flat, this.w!.read()), this.b!.read()));
      const energy = tf.reshape(tf.matMul(hidden, this.v!.read()), [batch, steps]);
      const weights = tf.softmax(energy, -1);
      // Σ_t a_t h_t as [B, 1, T] × [B, T, D]: a broadcast multiply and sum is ~5x slower on wasm.
      const context = tf.reshape(tf.matMul(tf.expandDims(weights, 1), h), [batch, dim]);
      return this.returnAttention ? [context, weights] : context;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { units: this.units, returnAttention: this.returnAttention };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return { ...super.getConfig(), ...cfg };
  }
}

export interface AttentionToPacketsArgs extends LayerArgs {
  poolSize: number;
  window: number;
}

/** Layers that map the model's pooled steps back to the W packets of its window. */
abstract class PooledStepsToPackets extends tf.layers.Layer {
  readonly poolSize: number;
  readonly window: number;

  constructor(args: AttentionToPacketsArgs) {
    super(args);
    this.poolSize = args.poolSize;
    this.window = args.window;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize, window: this.window };
  }
}

/**
 * Maps attention over pooled steps back to the W packets of the window: pooled step i
 * covers packets i*pool .. i*pool+pool-1, which share its weight equally (renormalised so
 * the W packet weights sum to 1 even when the last pool group is short).
 */
export class AttentionToPackets extends PooledStepsToPackets {
  static className = 'AttentionToPackets';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.window];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const a = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const steps = a.shape[1];
      // [B, T] × E^T [T, W] (packet-expansion.ts: why not a Tile).
      const e = stepsToPacketsMatrix(this.window, this.poolSize, steps);
      const spread = tf.matMul(a, tf.reshape(e, [this.window, steps]), false, true);
      return tf.div(spread, tf.sum(spread, 1, true));
    });
  }

}

/**
 * Maps a pooled sequence [B, T, C] back to the W packets of the window [B, W, C]: pooled step i
 * covers packets i*pool .. i*pool+pool-1, and each of them gets that step's vector.
 */
export class PooledToPackets extends PooledStepsToPackets {
  static className = 'PooledToPackets';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.window, shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      // E [1, W, T] × [B, T, C] (packet-expansion.ts: why not a Tile).
      return tf.matMul(stepsToPacketsMatrix(this.window, this.poolSize, h.shape[1]), h);
    });
  }

}

tf.serialization.registerClass(AdditiveSelfAttention);
tf.serialization.registerClass(PooledToPackets);
tf.serialization.registerClass(AttentionToPackets);
