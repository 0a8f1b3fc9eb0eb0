import { LlnError } from '../errors';
import type { FeatureSchema } from './schema';
import { FEATURE_SCHEMA } from './schema';

export const DEFAULT_CLIP = 6;
/**
 * Per-transform std floors. A feature nearly constant in training would otherwise turn any new
 * value into ±clip: a model trained on one network then sees every packet of another as extreme.
 * A floor says how big a change must be to count as one standard deviation: half a log unit
 * (×1.65) for log-scaled sizes and rates; 1 unit or 10 % of the mean for raw counts.
 */
function featureFloor(transform: string, mean: number, stdFloor: number): number {
  if (transform === 'log1p' || transform === 'signed_log1p') return Math.max(stdFloor, 0.5);
  return Math.max(stdFloor, 1, 0.1 * Math.abs(mean));
}

/** 0/1 features reach the model as they are: z-scoring a rare flag would blow a 1 up to ±clip. */
function isBinary(transform: string): boolean {
  return transform === 'flag' || transform === 'onehot';
}
/**
 * A feature whose training std is below this is "constant": it scales to 0 at its training
 * value, and any other value meets the clip (an unseen value is a strong signal, bounded).
 */
export const DEFAULT_STD_FLOOR = 1e-3;

/** Streaming per-feature mean/std (Welford, float64). Non-finite inputs are skipped and counted. */
export class ScalerFitter {
  private readonly n: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  nonFinite = 0;
  rows = 0;

  constructor(private readonly schema: FeatureSchema = FEATURE_SCHEMA) {
    const f = schema.features.length;
    this.n = new Float64Array(f);
    this.mean = new Float64Array(f);
    this.m2 = new Float64Array(f);
  }

  add(vec: Float32Array, offset: number): void {
    const f = this.n.length;
    for (let i = 0; i < f; i++) {
      const x = vec[offset + i];
      if (x - x !== 0) {
        this.nonFinite++;
        continue;
      }
      const n = ++this.n[i];
      const d = x - this.mean[i];
      this.mean[i] += d / n;
      this.m2[i] += d * (x - this.mean[i]);
    }
    this.rows++;
  }

  finish(opts: { clip?: number; stdFloor?: number } = {}): Scaler {
    const f = this.n.length;
    const std = new Float64Array(f);
    for (let i = 0; i < f; i++) std[i] = this.n[i] > 1 ? Math.sqrt(this.m2[i] / this.n[i]) : 0;
    return new Scaler(this.schema, Float64Array.from(this.mean), std, opts.clip ?? DEFAULT_CLIP, opts.stdFloor ?? DEFAULT_STD_FLOOR, this.rows);
  }
}

export interface ScalerJson {
  kind: 'lln-scaler';
  schemaVersion: string;
  names: string[];
  mean: number[];
  std: number[];
  clip: number;
  stdFloor: number;
  rows: number;
}

/** z = (x - mean) / max(std, floor), clipped to ±clip; never emits NaN/Infinity. */
export class Scaler {
  /** Subtracted before scaling: the mean, or 0 for a binary feature (which passes as it is). */
  private readonly shift: Float64Array;
  private readonly invStd: Float64Array;
  /** Explanations rate a binary feature against its training frequency (its own std, floored). */
  private readonly invStdExplain: Float64Array;
  /** 1 for a binary (flag / one-hot) feature. */
  private readonly binary: Uint8Array;
  /** Non-finite inputs seen by transform(), written as 0. */
  nonFinite = 0;
  /** transform()'s copy of the row it scales in place. */
  private readonly row: Float32Array;
  /**
   * clip as a float64 load: compared against the double z in the loop, an integer-valued clip
   * read from the field made the loop ~2.5x slower in V8 (measured), the same value from a
   * Float64Array does not.
   */
  private readonly clipF64: Float64Array;

  constructor(
    readonly schema: FeatureSchema,
    readonly mean: Float64Array,
    readonly std: Float64Array,
    readonly clip: number,
    readonly stdFloor: number,
    readonly rows: number,
  ) {
    this.row = new Float32Array(std.length);
    this.clipF64 = Float64Array.of(clip);
    this.shift = new Float64Array(std.length);
    this.invStd = new Float64Array(std.length);
    this.invStdExplain = new Float64Array(std.length);
    this.binary = new Uint8Array(std.length);
    for (let i = 0; i < std.length; i++) {
      const t = schema.features[i].transform;
      const binary = isBinary(t);
      this.shift[i] = binary ? 0 : mean[i];
      this.invStd[i] = binary ? 1 : 1 / featureFloor(t, mean[i], Math.max(std[i], stdFloor));
      this.invStdExplain[i] = binary ? 1 / Math.max(std[i], 0.05) : this.invStd[i];
      this.binary[i] = binary ? 1 : 0;
    }
  }

  get featureCount(): number {
    return this.mean.length;
  }

  /** Scale vec[offset .. offset+F) in place. */
  transform(vec: Float32Array, offset: number): void {
    // Through a copy: transformInto's slow path re-reads its source, which must still be intact.
    const row = this.row;
    for (let i = 0; i < row.length; i++) row[i] = vec[offset + i];
    this.transformInto(row, 0, vec, offset);
  }

  /**
   * Scale src[so .. so+F) into dst[dOff .. dOff+F) (the same arithmetic as transform, bit for
   * bit). src and dst must not overlap. Returns the row's deviation from normal: the sum of
   * |z| over its scaled values (what names the packet within an attention step; computed here,
   * once per packet, where each z is at hand anyway).
   */
  transformInto(src: Float32Array, so: number, dst: Float32Array, dOff: number): number {
    const shift = this.shift;
    const inv = this.invStd;
    const f = shift.length;
    const c = this.clipF64[0];
    // Branch-light on purpose (this runs for every packet): the clip as two ifs, and one sum of
    // the unclipped values to detect NaN/±Infinity (any makes it non-finite; finite z stay far
    // below overflow), instead of a test per value: 3x faster, measured.
    let sum = 0;
    let deviation = 0;
    for (let i = 0; i < f; i++) {
      // A binary feature has shift 0 and invStd 1: (x - 0) * 1 is x exactly, so no branch is needed.
      let z = (src[so + i] - shift[i]) * inv[i];
      sum += z;
      if (z > c) z = c;
      if (z < -c) z = -c;
      dst[dOff + i] = z;
      deviation += Math.abs(z);
    }
    return sum - sum === 0 ? deviation : this.zeroNonFinite(src, so, dst, dOff);
  }

  /**
   * transformInto's slow path: a NaN or ±Infinity input scales to 0 (and is counted); the rest
   * is as written. Returns the deviation of the row as written.
   */
  private zeroNonFinite(src: Float32Array, so: number, dst: Float32Array, dOff: number): number {
    let deviation = 0;
    for (let i = 0; i < this.shift.length; i++) {
      const z = (src[so + i] - this.shift[i]) * this.invStd[i];
      if (z - z !== 0) {
        this.nonFinite++;
        dst[dOff + i] = 0;
      }
      deviation += Math.abs(dst[dOff + i]);
    }
    return deviation;
  }

  /**
   * Each feature's z-score, largest |z| first, from a SCALED row (what transform wrote: the
   * pipeline keeps those, not the raw rows). For explanations: a continuous feature's z is its
   * scaled value; a binary feature passed through unscaled, so its z counts it against how often
   * it was set in training.
   */
  deviations(scaled: Float32Array, offset: number, top = this.mean.length): Array<{ name: string; z: number }> {
    // The pipeline asks for the top 3 of every written anomaly row: select them (ties in feature
    // order, as a stable sort gives) instead of building and sorting one object per feature.
    const n = this.mean.length;
    const zs = (this.zScratch ??= new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const x = scaled[offset + i];
      let z = this.binary[i] === 1 ? (x - this.mean[i]) * this.invStdExplain[i] : x;
      if (z - z !== 0) z = 0;
      zs[i] = z > this.clip ? this.clip : z < -this.clip ? -this.clip : z;
    }
    const taken = (this.takenScratch ??= new Uint8Array(n)).fill(0);
    const out: Array<{ name: string; z: number }> = [];
    const names = this.schema.features;
    for (let k = 0; k < top && k < n; k++) {
      let best = -1;
      for (let i = 0; i < n; i++) if (taken[i] === 0 && (best < 0 || Math.abs(zs[i]) > Math.abs(zs[best]))) best = i;
      taken[best] = 1;
      out.push({ name: names[best].name, z: zs[best] });
    }
    return out;
  }

  private zScratch: Float64Array | null = null;
  private takenScratch: Uint8Array | null = null;

  toJSON(): ScalerJson {
    return {
      kind: 'lln-scaler',
      schemaVersion: this.schema.version,
      names: this.schema.features.map((f) => f.name),
      mean: Array.from(this.mean),
      std: Array.from(this.std),
      clip: this.clip,
      stdFloor: this.stdFloor,
      rows: this.rows,
    };
  }

  /** `file`: the scaler.json path, named in errors. */
  static fromJSON(obj: unknown, schema: FeatureSchema = FEATURE_SCHEMA, file?: string): Scaler {
    const bad = (what: string): never => {
      throw new LlnError('LLN_E_MODEL', `${file ?? 'scaler file'} is invalid (${what}); retrain the model or restore ${file ?? 'its scaler.json'}`);
    };
    if (typeof obj !== 'object' || obj === null) bad('not an object');
    const j = obj as Partial<ScalerJson>;
    if (j.kind !== 'lln-scaler') bad('kind is not lln-scaler');
    if (typeof j.schemaVersion !== 'string' || !Array.isArray(j.names)) bad('schemaVersion/names missing');
    const names = schema.features.map((f) => f.name);
    const sameNames = j.names!.length === names.length && j.names!.every((n, i) => n === names[i]);
    if (j.schemaVersion !== schema.version || !sameNames) {
      throw new LlnError(
        'LLN_E_SCHEMA_MISMATCH',
        `${file ? `${file}: ` : ''}model was trained with feature schema ${j.schemaVersion} (${j.names!.length} features) but this program computes schema ${schema.version} (${names.length} features)${j.schemaVersion === schema.version ? ' with different feature names' : ''}; retrain the model or ${j.schemaVersion === schema.version && file ? `restore ${file}` : 'use a matching lln-detect version'}`,
      );
    }
    const nums = (a: unknown, what: string): Float64Array => {
      if (!Array.isArray(a) || a.length !== names.length || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(`${what} must be ${names.length} finite numbers`);
      return Float64Array.from(a as number[]);
    };
    const mean = nums(j.mean, 'mean');
    const std = nums(j.std, 'std');
    if (std.some((s) => s < 0)) bad('negative std');
    const clip = j.clip;
    const floor = j.stdFloor;
    if (typeof clip !== 'number' || !(clip > 0) || !Number.isFinite(clip)) bad('clip must be a positive number');
    if (typeof floor !== 'number' || !(floor > 0) || !Number.isFinite(floor)) bad('stdFloor must be a positive number');
    // One constant feature is normal (it is floored); all of them means a scaler fitted on no
    // variation, which makes every packet extreme (every score 1).
    const continuous = schema.features.map((_, i) => i).filter((i) => !isBinary(schema.features[i].transform));
    if (continuous.length > 0 && continuous.every((i) => std[i] < floor!)) bad('std is 0 for every continuous feature, as if fitted on constant data');
    return new Scaler(schema, mean, std, clip!, floor!, typeof j.rows === 'number' ? j.rows : 0);
  }
}
