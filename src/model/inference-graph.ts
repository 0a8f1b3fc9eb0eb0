import { tf } from './tf';

/**
 * The inference model's forward pass, run layer by layer with the trained layers' own weights,
 * where tfjs's generic path copies more than it computes. Every replacement only moves values
 * (no arithmetic changes order), so scores and attention are bit for bit those of
 * `inference.execute` (checked: byte-identical `--scores-csv` on real captures):
 * - the input goes in as is: `predict` slices every batch out of its input first (a full copy);
 * - the convolution's time shifts (pad, then slice) move each window's run of rows at once, where
 *   the wasm backend's Slice of a 3-D tensor copies the whole tensor to the JS heap and then
 *   one row at a time (32k rows a batch);
 * - the per-packet concatenation runs as one typed-array loop over the wasm heap, where the wasm
 *   backend's Concat makes a subarray and a copy for every row of every input (131k a batch);
 * - the BiLSTM's per-step gate split (SplitV along the last axis) and its unstacking of the
 *   steps (Unpack along the first) copy each part's rows on the heap, where the wasm kernels
 *   copy the whole input to the JS heap once per part (replaced for those cases only, once the
 *   first batch runs: identical outputs, and every other case goes to the original kernel);
 * - the head's dropout (a copy at inference) is skipped.
 * Models of another layout (none today) run through `execute`, unchanged.
 */
export class InferenceGraph {
  private constructor(
    private readonly layers: Record<string, tf.layers.Layer>,
    private readonly conv: ConvParts,
  ) {}

  /** The graph for a model built by buildModel/buildInferenceModel, or null for any other layout. */
  static tryFrom(model: tf.LayersModel, inference: tf.LayersModel): InferenceGraph | null {
    const names = model.layers.map((l) => `${l.name}:${l.getClassName()}`).join(',');
    if (names !== EXPECTED_LAYERS) return null;
    const perPacket = model.getLayer('per_packet') as unknown as { inboundNodes: Array<{ inboundLayers: tf.layers.Layer[] }> };
    if (perPacket.inboundNodes.length !== 1 || perPacket.inboundNodes[0].inboundLayers.map((l) => l.name).join(',') !== 'window,bn,bilstm_packets,context_packets') return null;
    let attentionPackets: tf.layers.Layer;
    try {
      attentionPackets = inference.getLayer('attention_packets');
    } catch {
      return null;
    }
    const conv = model.getLayer('conv') as unknown as ConvParts & tf.layers.Layer;
    if (!CONV_ACTIVATIONS.has(conv.activation) || !conv.kernel || !conv.bias) return null;
    const layers: Record<string, tf.layers.Layer> = { attention_packets: attentionPackets };
    for (const l of model.layers) layers[l.name] = l;
    return new InferenceGraph(layers, conv);
  }

  /** [scores [B, W], attention [B, W]], as inference.execute(x) returns them. Call inside tf.tidy. */
  run(x: tf.Tensor3D): [tf.Tensor, tf.Tensor] {
    const L = this.layers;
    const bn = L.bn.apply(this.convolve(x)) as tf.Tensor;
    const seq = L.bilstm.apply(L.pool.apply(bn)) as tf.Tensor;
    const [context, weights] = L.attention.apply(seq) as tf.Tensor[];
    const steps = L.bilstm_packets.apply(seq) as tf.Tensor;
    const around = L.context_packets.apply(context) as tf.Tensor;
    const joined = concatLastAxis([x, bn, steps, around]);
    const score = L.score.apply(L.packet_score.apply(L.dense.apply(joined))) as tf.Tensor;
    return [score, L.attention_packets.apply(weights) as tf.Tensor];
  }

  /** Im2colConv1D.call's shift-and-add: the same products summed in the same order; the shifts move rows. */
  private convolve(x: tf.Tensor3D): tf.Tensor {
    const { kernel, bias, kernelSize: k, filters: f, activation } = this.conv;
    const [batch, steps, channels] = x.shape;
    const flat = tf.reshape(x, [batch * steps, channels]);
    const kernels = tf.unstack(kernel.read());
    const left = Math.floor((k - 1) / 2);
    const parts: tf.Tensor[] = [];
    for (let j = 0; j < k; j++) {
      const z = tf.reshape(tf.matMul(flat, kernels[j]), [batch, steps, f]);
      const shift = j - left;
      if (shift === 0) parts.push(z);
      else if (Math.abs(shift) >= steps) continue;
      else parts.push(shiftSteps(z, shift));
    }
    const y = tf.add(parts.length === 1 ? parts[0] : tf.addN(parts), bias.read());
    switch (activation) {
      case 'relu': return tf.relu(y);
      case 'tanh': return tf.tanh(y);
      case 'sigmoid': return tf.sigmoid(y);
      case 'elu': return tf.elu(y);
      default: return y;
    }
  }
}

interface ConvParts {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  kernelSize: number;
  filters: number;
  activation: string;
}

const CONV_ACTIVATIONS = new Set(['linear', 'relu', 'tanh', 'sigmoid', 'elu']);

const EXPECTED_LAYERS = [
  'window:InputLayer', 'conv:Im2colConv1D', 'bn:BatchNormalization', 'pool:MaxPooling1D', 'bilstm:Bidirectional',
  'attention:AdditiveSelfAttention', 'bilstm_packets:PooledToPackets', 'context_packets:RepeatVector', 'per_packet:Concatenate',
  'dense:Dense', 'dropout:SeededDropout', 'packet_score:Dense', 'score:Reshape',
].join(',');

const CONCAT_LAST = 'LlnConcatLastAxis';
const SHIFT_STEPS = 'LlnShiftSteps';

interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * Concatenation of float32 tensors along their last axis. On wasm one loop over the heap (no
 * per-row objects); elsewhere tf.concat.
 */
export function concatLastAxis(xs: tf.Tensor[]): tf.Tensor {
  if (tf.getBackend() !== 'wasm' || xs.some((t) => t.dtype !== 'float32')) return tf.concat(xs, -1);
  registerKernels();
  const attrs = { count: xs.length };
  const inputs: Record<string, tf.Tensor> = {};
  xs.forEach((t, i) => { inputs[`x${i}`] = t; });
  return tf.engine().runKernel(CONCAT_LAST, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * y[b, t] = x[b, t + shift] (zero where t + shift is outside [0, T)): what Im2colConv1D does
 * with pad and slice, for a float32 [B, T, C] tensor.
 */
export function shiftSteps(x: tf.Tensor, shift: number): tf.Tensor {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || x.rank !== 3) {
    const [batch, steps, c] = x.shape;
    return shift > 0
      ? tf.slice(tf.pad(x, [[0, 0], [0, shift], [0, 0]]), [0, shift, 0], [batch, steps, c])
      : tf.slice(tf.pad(x, [[0, 0], [-shift, 0], [0, 0]]), [0, 0, 0], [batch, steps, c]);
  }
  registerKernels();
  return tf.engine().runKernel(SHIFT_STEPS, { x } as unknown as tf.NamedTensorMap, { shift } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

let registered = false;

function registerKernels(): void {
  if (registered) return;
  registered = true;
  fasterKernel('SplitV', splitLastAxis);
  fasterKernel('Unpack', unpackFirstAxis);
  tf.registerKernel({
    kernelName: SHIFT_STEPS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendInternals;
      const x = (inputs as unknown as { x: tf.TensorInfo }).x;
      const shift = (attrs as unknown as { shift: number }).shift;
      const [batch, steps, c] = x.shape;
      const out = b.makeOutput([batch, steps, c], 'float32');
      const dst = b.typedArrayFromHeap(out);
      const heap = new Float32Array(dst.buffer);
      const o0 = dst.byteOffset >> 2;
      const s0 = b.typedArrayFromHeap(x).byteOffset >> 2;
      const per = steps * c;
      const run = Math.max(0, steps - Math.abs(shift)) * c;
      const gap = per - run;
      for (let i = 0; i < batch; i++) {
        const o = o0 + i * per;
        const s = s0 + i * per;
        if (shift >= 0) {
          heap.copyWithin(o, s + gap, s + per);
          heap.fill(0, o + run, o + per);
        } else {
          heap.fill(0, o, o + gap);
          heap.copyWithin(o + gap, s, s + run);
        }
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: CONCAT_LAST,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendInternals;
      const count = (attrs as unknown as { count: number }).count;
      const ins: tf.TensorInfo[] = [];
      for (let i = 0; i < count; i++) ins.push((inputs as unknown as Record<string, tf.TensorInfo>)[`x${i}`]);
      const lead = ins[0].shape.slice(0, -1);
      const rows = lead.reduce((a, d) => a * d, 1);
      const widths = ins.map((t) => t.shape[t.shape.length - 1]);
      for (const t of ins) {
        if (t.shape.length !== lead.length + 1 || t.shape.slice(0, -1).some((d, i) => d !== lead[i])) throw new Error(`${CONCAT_LAST}: shapes ${ins.map((u) => JSON.stringify(u.shape)).join(' ')} differ before the last axis`);
      }
      const total = widths.reduce((a, w) => a + w, 0);
      const out = b.makeOutput([...lead, total], 'float32');
      // One view of the whole heap, taken after makeOutput (an allocation may grow the heap and
      // replace its buffer); copyWithin moves each row's run without making an object for it.
      const dst = b.typedArrayFromHeap(out);
      const heap = new Float32Array(dst.buffer);
      const base = dst.byteOffset >> 2;
      let col = 0;
      for (let i = 0; i < count; i++) {
        const w = widths[i];
        let s = b.typedArrayFromHeap(ins[i]).byteOffset >> 2;
        let o = base + col;
        for (let r = 0; r < rows; r++) {
          heap.copyWithin(o, s, s + w);
          s += w;
          o += total;
        }
        col += w;
      }
      return out;
    },
  });
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Put `fast` in front of the wasm backend's kernel `name`; a null answer falls through to the original. */
function fasterKernel(name: string, fast: (args: KernelArgs) => tf.TensorInfo[] | null): void {
  const orig = tf.getKernel(name, 'wasm');
  if (!orig) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: (args) => fast(args) ?? orig.kernelFunc(args) });
}

function splitLastAxis({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] | null {
  const x = (inputs as unknown as { x: tf.TensorInfo }).x;
  const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const rank = x.shape.length;
  const ax = typeof axis === 'number' ? axis : axis[0];
  if (x.dtype !== 'float32' || rank < 2 || (ax !== rank - 1 && ax !== -1)) return null;
  const b = backend as unknown as WasmBackendInternals;
  const width = x.shape[rank - 1];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, rank - 1);
  const rows = x.shape.slice(0, -1).reduce((a, d) => a * d, 1);
  const outs = sizes.map((w) => b.makeOutput([...x.shape.slice(0, -1), w], 'float32'));
  const heap = new Float32Array(b.typedArrayFromHeap(outs[0]).buffer);
  const s0 = b.typedArrayFromHeap(x).byteOffset >> 2;
  let col = 0;
  outs.forEach((out, j) => {
    const w = sizes[j];
    let o = b.typedArrayFromHeap(out).byteOffset >> 2;
    let s = s0 + col;
    for (let r = 0; r < rows; r++) {
      heap.copyWithin(o, s, s + w);
      o += w;
      s += width;
    }
    col += w;
  });
  return outs;
}

function unpackFirstAxis({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] | null {
  const value = (inputs as unknown as { value: tf.TensorInfo }).value;
  const axis = (attrs as unknown as { axis: number }).axis;
  if (value.dtype !== 'float32' || value.shape.length < 2 || (axis !== 0 && axis !== -value.shape.length)) return null;
  const b = backend as unknown as WasmBackendInternals;
  const n = value.shape[0];
  const shape = value.shape.slice(1);
  const per = shape.reduce((a, d) => a * d, 1);
  const outs: tf.TensorInfo[] = [];
  for (let i = 0; i < n; i++) outs.push(b.makeOutput(shape, 'float32'));
  const heap = new Float32Array(b.typedArrayFromHeap(outs[0]).buffer);
  const s0 = b.typedArrayFromHeap(value).byteOffset >> 2;
  outs.forEach((out, i) => heap.copyWithin(b.typedArrayFromHeap(out).byteOffset >> 2, s0 + i * per, s0 + (i + 1) * per));
  return outs;
}
