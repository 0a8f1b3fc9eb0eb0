/**
 * Incremental damped statistics (the idea of Kitsune's AfterImage, written afresh): a stream's
 * weight w, linear sum LS and squared sum SS fade by 2^(-λΔt) as time passes, so w is a packet
 * rate over a time scale of ~1/λ seconds and LS/w, SS/w give a recent mean and variance.
 * O(1) per update, a handful of doubles per stream.
 *
 * The state lives in Float64Array slots (functions `ds*` / `dc*` take the array and a base
 * offset) so the context tables can keep hundreds of thousands of streams in flat slabs:
 * object-per-stream state costs ~5x the memory (boxed doubles) and feeds the GC on every new
 * host. The classes below wrap one slot each, for single streams and tests.
 *
 * Time only moves forward here: Δt is clamped to >= 0 so identical or backwards timestamps
 * (merged captures, clock steps) never amplify the state or produce NaN.
 */

/** 2^(-λΔt) computed as exp(-λ ln2 Δt): Math.exp is ~3x faster than Math.pow in V8. */
const LN2 = Math.LN2;

/*
 * One-entry memo of the fade factor. A flow's jitter stream is updated at the same times as
 * its size stream (a channel's jitter as its residual clock), so the next exp() often has
 * exactly the argument of the previous one: same argument, same result, bit for bit.
 */
// In a Float64Array, not two module-level lets: V8 (Node 20) boxes a double written to a
// module variable, one heap number per write, several per packet (~25 MB of garbage a 250k-packet replay).
const memo = Float64Array.of(NaN, 1);

function fade(lambda: number, dt: number): number {
  const arg = -lambda * LN2 * dt;
  if (arg !== memo[0]) {
    memo[0] = arg;
    memo[1] = Math.exp(arg);
  }
  return memo[1];
}

/** 1-D layout: [w, LS, SS, tLast]. */
export const DS_SIZE = 4;
const W = 0;
const LS = 1;
const SS = 2;
const T = 3;

export function dsInit(a: Float64Array, b: number): void {
  a[b + W] = 0;
  a[b + LS] = 0;
  a[b + SS] = 0;
  a[b + T] = -Infinity;
}

/** Fade the sums of the stream at a[b..] to time t (seconds). */
export function dsDecay(a: Float64Array, b: number, lambda: number, t: number): void {
  const last = a[b + T];
  if (last === -Infinity) {
    a[b + T] = t;
    return;
  }
  const dt = t - last;
  if (dt > 0) {
    const f = fade(lambda, dt);
    a[b + W] *= f;
    a[b + LS] *= f;
    a[b + SS] *= f;
    a[b + T] = t;
  }
}

export function dsUpdate(a: Float64Array, b: number, lambda: number, x: number, t: number): void {
  dsDecay(a, b, lambda, t);
  a[b + W] += 1;
  a[b + LS] += x;
  a[b + SS] += x * x;
}

export function dsWeight(a: Float64Array, b: number): number {
  return a[b + W];
}

/** Weight as it would be at time t, without changing the state. */
export function dsWeightAt(a: Float64Array, b: number, lambda: number, t: number): number {
  const dt = t - a[b + T];
  return dt > 0 ? a[b + W] * fade(lambda, dt) : a[b + W];
}

export function dsMean(a: Float64Array, b: number): number {
  const w = a[b + W];
  return w > 1e-20 ? a[b + LS] / w : 0;
}

/** |SS/w - mean²|: the abs guards against tiny negative values from rounding. */
export function dsVariance(a: Float64Array, b: number): number {
  const w = a[b + W];
  if (w <= 1e-20) return 0;
  const m = a[b + LS] / w;
  return Math.abs(a[b + SS] / w - m * m);
}

/**
 * 2-D (channel) layout: two 1-D streams (direction 0 = a→b, 1 = b→a), then the last residual
 * of each direction, the damped sum of residual products SR, its weight w3 and its clock.
 * Each new residual is paired with the other direction's last one (as Kitsune does), giving a
 * covariance, a correlation, and the magnitude/radius of the two directions' means/variances.
 */
export const DC_SIZE = 2 * DS_SIZE + 5;
const R0 = 2 * DS_SIZE;
const R1 = R0 + 1;
const SR = R0 + 2;
const W3 = R0 + 3;
const T3 = R0 + 4;

export function dcInit(a: Float64Array, b: number): void {
  dsInit(a, b);
  dsInit(a, b + DS_SIZE);
  a[b + R0] = 0;
  a[b + R1] = 0;
  a[b + SR] = 0;
  a[b + W3] = 0;
  a[b + T3] = -Infinity;
}

export function dcUpdate(a: Float64Array, b: number, lambda: number, direction: number, x: number, t: number): void {
  const s = b + (direction === 0 ? 0 : DS_SIZE);
  dsUpdate(a, s, lambda, x, t);
  const last = a[b + T3];
  if (last === -Infinity) a[b + T3] = t;
  else if (t > last) {
    const f = fade(lambda, t - last);
    a[b + SR] *= f;
    a[b + W3] *= f;
    a[b + T3] = t;
  }
  const r = x - dsMean(a, s);
  if (direction === 0) {
    a[b + SR] += r * a[b + R1];
    a[b + R0] = r;
  } else {
    a[b + SR] += r * a[b + R0];
    a[b + R1] = r;
  }
  a[b + W3] += 1;
}

export function dcMagnitude(a: Float64Array, b: number): number {
  const m0 = dsMean(a, b);
  const m1 = dsMean(a, b + DS_SIZE);
  return Math.sqrt(m0 * m0 + m1 * m1);
}

export function dcRadius(a: Float64Array, b: number): number {
  return Math.sqrt(dsVariance(a, b) + dsVariance(a, b + DS_SIZE));
}

export function dcCovariance(a: Float64Array, b: number): number {
  const w3 = a[b + W3];
  return w3 > 1e-20 ? a[b + SR] / w3 : 0;
}

/** Pearson correlation, 0 when either side has (almost) no spread; clipped to [-1, 1]. */
export function dcCorrelation(a: Float64Array, b: number): number {
  const d = Math.sqrt(dsVariance(a, b) * dsVariance(a, b + DS_SIZE));
  if (!(d > 1e-9)) return 0;
  const c = dcCovariance(a, b) / d;
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/** One damped 1-D stream. */
export class DampedStats {
  private readonly a = new Float64Array(DS_SIZE);

  constructor(readonly lambda: number) {
    dsInit(this.a, 0);
  }

  get w(): number {
    return this.a[W];
  }

  update(x: number, t: number): void {
    dsUpdate(this.a, 0, this.lambda, x, t);
  }

  weightAt(t: number): number {
    return dsWeightAt(this.a, 0, this.lambda, t);
  }

  mean(): number {
    return dsMean(this.a, 0);
  }

  variance(): number {
    return dsVariance(this.a, 0);
  }

  std(): number {
    return Math.sqrt(dsVariance(this.a, 0));
  }
}

/** One damped two-direction channel. */
export class DampedChannelStats {
  private readonly a = new Float64Array(DC_SIZE);

  constructor(readonly lambda: number) {
    dcInit(this.a, 0);
  }

  update(direction: 0 | 1, x: number, t: number): void {
    dcUpdate(this.a, 0, this.lambda, direction, x, t);
  }

  weight(direction: 0 | 1): number {
    return dsWeight(this.a, direction * DS_SIZE);
  }

  mean(direction: 0 | 1): number {
    return dsMean(this.a, direction * DS_SIZE);
  }

  variance(direction: 0 | 1): number {
    return dsVariance(this.a, direction * DS_SIZE);
  }

  magnitude(): number {
    return dcMagnitude(this.a, 0);
  }

  radius(): number {
    return dcRadius(this.a, 0);
  }

  covariance(): number {
    return dcCovariance(this.a, 0);
  }

  correlation(): number {
    return dcCorrelation(this.a, 0);
  }
}
