import { tf } from './tf';
import { Im2colConv1D } from './conv1d-im2col';
import { AdditiveSelfAttention, AttentionToPackets, PooledToPackets } from './self-attention';
import { SeededDropout } from './seeded-dropout';
import { RepeatVector } from './packet-expansion';

export interface ModelConfig {
  /** Packets per window (W). */
  window: number;
  /** Features per packet (F): must equal the feature schema's length. */
  features: number;
  convFilters: number;
  kernelSize: number;
  /** Max-pool size over time: divides the BiLSTM's steps (its cost) by this much. */
  poolSize: number;
  lstmUnits: number;
  attentionDim: number;
  denseUnits: number;
  dropout: number;
  seed: number;
}

/**
 * Chosen with bench/model-bench.ts on 2 cores shared with other jobs (wasm+SIMD, batch 512,
 * windows per CPU-second; interleaved A/B in one process). At F=40 (before the shift-and-add
 * conv): filters16/pool8/lstm8 ~9.5–12k windows/s, 21–29 s per 20k-window epoch;
 * lstm16 ~7.5–8k; pool4 ~7–7.5k (31–45 s/epoch); filters32+pool4+lstm16 ~5–5.5k.
 * At F=73 with the shift-and-add conv, this default: ~9–11.5k windows/s, ~24–27 s/epoch.
 * The BiLSTM's per-time-step op overhead dominates, so the pool (W/pool LSTM steps) is the
 * main knob. The price of pool 8: attention resolves to a group of 8 packets (the pipeline
 * names the most deviating packet of the group; see PendingPackets.applyWindow).
 */
export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  window: 32,
  features: 73, // the feature schema's column count when tuned; callers set it from the schema
  convFilters: 16,
  kernelSize: 3,
  poolSize: 8,
  lstmUnits: 8,
  attentionDim: 8,
  denseUnits: 16,
  dropout: 0.2,
  seed: 42,
};

/** Layer names the inference model looks up. */
export const LAYER = { pool: 'pool', attention: 'attention' } as const;

export function validateModelConfig(cfg: ModelConfig): void {
  for (const k of ['window', 'features', 'convFilters', 'kernelSize', 'poolSize', 'lstmUnits', 'attentionDim', 'denseUnits'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new Error(`ModelConfig.${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`ModelConfig.dropout must be in [0,1), got ${cfg.dropout}`);
  if (!Number.isInteger(cfg.seed)) throw new Error(`ModelConfig.seed must be an integer, got ${cfg.seed}`);
}

/**
 * [W, F] → im2col Conv1D → BatchNorm → MaxPool → BiLSTM (sequences) → additive
 * self-attention (pooling) → per packet: [its own features, its conv features, its BiLSTM step,
 * the window's attention context] → Dense → Dropout → Dense(1, sigmoid): one probability
 * per PACKET of the window (output B×W).
 *
 * Why a score per packet and not per window: with one score per window every packet of the
 * window shares it, so a benign DNS query sharing a window with a remote shell gets the shell's
 * score, a few attack packets among W can never lift a window's score, and the first packets of
 * a capture inherit whatever the window says. The packet's own features go straight into the
 * head (a skip connection) so that a packet unlike anything seen in training can raise its own
 * score; the BiLSTM and attention context say what surrounds it.
 *
 * Every initializer is seeded (cfg.seed + a per-layer offset) so the same config builds
 * the same starting weights.
 */
export function buildModel(cfg: ModelConfig): tf.LayersModel {
  validateModelConfig(cfg);
  const s = cfg.seed;
  const input = tf.input({ shape: [cfg.window, cfg.features], name: 'window' });
  let conv = new Im2colConv1D({ filters: cfg.convFilters, kernelSize: cfg.kernelSize, activation: 'relu', seed: s, name: 'conv' })
    .apply(input) as tf.SymbolicTensor;
  // momentum 0.9 (tfjs default 0.99): the moving statistics used at inference must settle
  // within the few hundred batches a small capture gives, or val/serve scores drift.
  conv = tf.layers.batchNormalization({ momentum: 0.9, name: 'bn' }).apply(conv) as tf.SymbolicTensor;
  let x = tf.layers.maxPooling1d({ poolSize: cfg.poolSize, strides: cfg.poolSize, padding: 'same', name: LAYER.pool })
    .apply(conv) as tf.SymbolicTensor;
  // A hand-fused BiLSTM (both directions in one loop on a block-diagonal recurrence) was
  // measured: ~15% faster training at batch 32 but ~30% slower inference at batch 512 than
  // tfjs's own, so tfjs's LSTM stays.
  const lstm = tf.layers.lstm({
    units: cfg.lstmUnits,
    returnSequences: true,
    // tfjs defaults to hardSigmoid (old Keras); sigmoid is today's standard and, being one
    // wasm op instead of three, measured ~1.3x faster inference for the BiLSTM.
    recurrentActivation: 'sigmoid',
    kernelInitializer: tf.initializers.glorotUniform({ seed: s + 10 }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: s + 11 }),
  });
  x = tf.layers.bidirectional({ layer: lstm as unknown as tf.RNN, mergeMode: 'concat', name: 'bilstm' })
    .apply(x) as tf.SymbolicTensor;
  const [context] = new AdditiveSelfAttention({ units: cfg.attentionDim, returnAttention: true, seed: s + 20, name: LAYER.attention })
    .apply(x) as tf.SymbolicTensor[];
  const steps = new PooledToPackets({ poolSize: cfg.poolSize, window: cfg.window, name: 'bilstm_packets' }).apply(x) as tf.SymbolicTensor;
  const around = new RepeatVector({ n: cfg.window, name: 'context_packets' }).apply(context) as tf.SymbolicTensor;
  let h = tf.layers.concatenate({ axis: -1, name: 'per_packet' }).apply([input, conv, steps, around]) as tf.SymbolicTensor;
  h = tf.layers.dense({
    units: cfg.denseUnits, activation: 'relu', name: 'dense',
    kernelInitializer: tf.initializers.glorotUniform({ seed: s + 30 }),
  }).apply(h) as tf.SymbolicTensor;
  h = new SeededDropout({ rate: cfg.dropout, seed: s + 40, name: 'dropout' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({
    units: 1, activation: 'sigmoid', name: 'packet_score',
    kernelInitializer: tf.initializers.glorotUniform({ seed: s + 50 }),
  }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.reshape({ targetShape: [cfg.window], name: 'score' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'lln_detector' });
}

/**
 * A model sharing the trained model's layers (and weights) that outputs
 * [score per packet (B×W), attention per packet (B×W)]. Window and pool size are read from the
 * trained model itself so a loaded model needs nothing else.
 */
export function buildInferenceModel(trained: tf.LayersModel): tf.LayersModel {
  const window = trained.inputs[0].shape[1] as number;
  const poolLayer = trained.getLayer(LAYER.pool);
  const poolCfg = poolLayer.getConfig() as { poolSize: number | number[] };
  const poolSize = Array.isArray(poolCfg.poolSize) ? poolCfg.poolSize[0] : poolCfg.poolSize;
  const scoreShape = trained.outputs[0].shape;
  if (scoreShape.length !== 2 || scoreShape[1] !== window) {
    // Models before per-packet scoring output one score per window (B×1).
    throw new Error(`model outputs ${JSON.stringify(scoreShape)}, not one score per packet of its ${window}-packet window (a model from an older lln-detect)`);
  }
  const attentionOut = trained.getLayer(LAYER.attention).output as tf.SymbolicTensor[];
  if (!Array.isArray(attentionOut) || attentionOut.length !== 2) {
    throw new Error('model has no attention-weights output (attention layer built without returnAttention)');
  }
  const perPacket = new AttentionToPackets({ poolSize, window, name: 'attention_packets' })
    .apply(attentionOut[1]) as tf.SymbolicTensor;
  return tf.model({ inputs: trained.inputs, outputs: [trained.outputs[0], perPacket], name: 'lln_inference' });
}
