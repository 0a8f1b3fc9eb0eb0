import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLlnError } from '../src/errors';
import { Scaler, ScalerFitter } from '../src/features/scaler';
import { FEATURE_COUNT, FEATURE_SCHEMA, FeatureSchema } from '../src/features/schema';

const F = FEATURE_COUNT;

function fitted(): Scaler {
  const fit = new ScalerFitter();
  const v = new Float32Array(F);
  for (let r = 0; r < 100; r++) {
    for (let i = 0; i < F; i++) v[i] = i === 3 ? 7 : (r % 10) * (i + 1) * 0.5; // feature 3 constant
    fit.add(v, 0);
  }
  return fit.finish();
}

test('scaler: Welford mean/std match the two-pass values', () => {
  const s = fitted();
  for (const i of [0, 5, F - 1]) {
    const xs = Array.from({ length: 100 }, (_, r) => Math.fround((r % 10) * (i + 1) * 0.5));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    assert.ok(Math.abs(s.mean[i] - m) < 1e-9, `mean ${i}`);
    assert.ok(Math.abs(s.std[i] - sd) < 1e-9, `std ${i}`);
  }
  assert.equal(s.std[3], 0);
});

test('scaler: transform gives z, clips, constant feature gives 0 at its value, NaN/Infinity become 0 and are counted', () => {
  const s = fitted();
  const v = new Float32Array(F + 2);
  for (let i = 0; i < F; i++) v[i + 2] = s.mean[i];
  v[2 + 0] = s.mean[0] + 2 * s.std[0];
  v[2 + 1] = 1e30;
  v[2 + 4] = NaN;
  v[2 + 5] = -Infinity;
  s.transform(v, 2);
  assert.ok(Math.abs(v[2] - 2) < 1e-5);
  assert.equal(v[3], 6);
  assert.equal(v[2 + 3], 0);
  assert.equal(v[2 + 4], 0);
  assert.equal(v[2 + 5], 0);
  assert.equal(s.nonFinite, 2);
  for (let i = 0; i < F; i++) assert.ok(Number.isFinite(v[i + 2]) && Math.abs(v[i + 2]) <= 6);
  const w = new Float32Array(F);
  for (let i = 0; i < F; i++) w[i] = s.mean[i];
  // a constant log-scaled feature moving by one log unit is 2σ (floor 0.5), not ±clip or Infinity
  w[3] = 8;
  s.transform(w, 0);
  assert.ok(Math.abs(w[3] - 2) < 1e-6, `z ${w[3]}`);
});

test('scaler: transformInto equals transform bit for bit, leaves its source alone, and zeroes non-finite inputs', () => {
  const s = fitted();
  const src = new Float32Array(3 * F);
  for (let i = 0; i < src.length; i++) src[i] = s.mean[i % F] + ((i * 7919) % 13 - 6) * (s.std[i % F] + 0.3);
  src[F + 2] = Infinity;
  src[F + 9] = NaN;
  src[2 * F + 1] = -1e38;
  const before = Float32Array.from(src);
  const into = new Float32Array(3 * F).fill(99);
  const inPlace = Float32Array.from(src);
  const counted = s.nonFinite;
  const deviations: number[] = [];
  for (let r = 0; r < 3; r++) {
    deviations.push(s.transformInto(src, r * F, into, r * F));
    s.transform(inPlace, r * F);
  }
  // The returned deviation is the sum of |z| of the row as written, non-finite inputs as 0.
  for (let r = 0; r < 3; r++) {
    let d = 0;
    for (let i = 0; i < F; i++) d += Math.abs(into[r * F + i]);
    assert.ok(Math.abs(deviations[r] - d) <= 1e-6 * d, `row ${r}: deviation ${deviations[r]} vs sum |z| ${d}`);
  }
  assert.deepEqual(new Uint32Array(into.buffer), new Uint32Array(inPlace.buffer));
  assert.deepEqual(src, before, 'source untouched');
  assert.equal(into[F + 2], 0);
  assert.equal(into[F + 9], 0);
  assert.equal(into[2 * F + 1], -6);
  assert.equal(s.nonFinite - counted, 4, 'two non-finite values, each scaled twice');
  assert.ok(into.every((x) => Math.abs(x) <= 6));
});

test('scaler: 0/1 features pass through unscaled; a rare flag still ranks high in explanations', () => {
  const i = FEATURE_SCHEMA.features.findIndex((f) => f.transform === 'flag');
  const fit = new ScalerFitter();
  const v = new Float32Array(F);
  for (let r = 0; r < 1000; r++) {
    v[i] = r === 0 ? 1 : 0; // set once in 1000 training packets
    fit.add(v, 0);
  }
  const s = fit.finish();
  const x = new Float32Array(F);
  x[i] = 1;
  const scaled = Float32Array.from(x);
  s.transform(scaled, 0);
  assert.equal(scaled[i], 1);
  const top = s.deviations(scaled, 0)[0];
  assert.equal(top.name, FEATURE_SCHEMA.features[i].name);
  assert.ok(top.z > 5, `z ${top.z}`);
});

test('scaler: deviations (of a scaled row) are sorted by |z| and named', () => {
  // Trained as real rows are: flags 0/1 (set in 10% of rows), other features spread.
  const binary = FEATURE_SCHEMA.features.map((f) => f.transform === 'flag' || f.transform === 'onehot');
  const fit = new ScalerFitter();
  const row = new Float32Array(F);
  for (let r = 0; r < 100; r++) {
    for (let i = 0; i < F; i++) row[i] = binary[i] ? (r % 10 === 0 ? 1 : 0) : (r % 10) * (i + 1) * 0.5;
    fit.add(row, 0);
  }
  const s = fit.finish();
  const v = new Float32Array(F);
  for (let i = 0; i < F; i++) v[i] = binary[i] ? 0 : s.mean[i]; // flags unset: |z| = 1/3 each
  v[1] = s.mean[1] - 3 * s.std[1]; // continuous features (ip_len, ttl): their z is the scaled value
  v[4] = s.mean[4] + 1 * s.std[4];
  s.transform(v, 0);
  const d = s.deviations(v, 0);
  assert.equal(d.length, F);
  assert.equal(d[0].name, FEATURE_SCHEMA.features[1].name);
  assert.ok(Math.abs(d[0].z + 3) < 1e-4);
  assert.equal(d[1].name, FEATURE_SCHEMA.features[4].name);
  assert.ok(Math.abs(d[1].z - 1) < 1e-4);
  const flag = d.find((x) => x.name === 'proto_tcp');
  assert.ok(flag !== undefined && Math.abs(flag.z + 1 / 3) < 1e-4, `an unset 10% flag is z = -1/3 (${flag?.z})`);
  for (let i = 1; i < d.length; i++) assert.ok(Math.abs(d[i - 1].z) >= Math.abs(d[i].z));
});

test('scaler: JSON round trip gives identical transforms', () => {
  const s = fitted();
  const back = Scaler.fromJSON(JSON.parse(JSON.stringify(s)));
  const a = new Float32Array(F);
  for (let i = 0; i < F; i++) a[i] = Math.sin(i) * 10;
  const b = Float32Array.from(a);
  s.transform(a, 0);
  back.transform(b, 0);
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.equal(back.clip, s.clip);
  assert.equal(back.rows, 100);
});

test('scaler: refuses another schema version or names, naming both versions', () => {
  const json = JSON.parse(JSON.stringify(fitted()));
  const other: FeatureSchema = { version: '9.9.9', features: FEATURE_SCHEMA.features };
  assert.throws(() => Scaler.fromJSON(json, other), (e: unknown) => {
    assert.ok(isLlnError(e));
    assert.equal(e.code, 'LLN_E_SCHEMA_MISMATCH');
    assert.ok(e.message.includes('9.9.9') && e.message.includes(FEATURE_SCHEMA.version), e.message);
    return true;
  });
  const renamed = { ...json, names: [...json.names].reverse() };
  assert.throws(() => Scaler.fromJSON(renamed), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_SCHEMA_MISMATCH');
  assert.throws(() => Scaler.fromJSON({ ...json, mean: json.mean.slice(1) }), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_MODEL');
  assert.throws(() => Scaler.fromJSON('nope'), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_MODEL');
});

test('scaler fitter: skips non-finite inputs instead of poisoning the mean', () => {
  const fit = new ScalerFitter();
  const v = new Float32Array(F).fill(1);
  fit.add(v, 0);
  v[0] = NaN;
  fit.add(v, 0);
  v[0] = 3;
  fit.add(v, 0);
  const s = fit.finish();
  assert.equal(fit.nonFinite, 1);
  assert.equal(s.mean[0], 2);
  assert.ok(s.mean.every(Number.isFinite) && s.std.every(Number.isFinite));
});
