import { decode } from '../src/capture/decode';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { ScalerFitter } from '../src/features/scaler';
import { FEATURE_COUNT } from '../src/features/schema';
import { WindowBuilder } from '../src/features/window-builder';
import { ALL_SAMPLES, HAVE_SAMPLES, sample } from '../test/helpers/samples';

const TARGET_PACKETS = 1_000_000;
const W = 32;
const S = 8;

async function loadRaw(): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for (const name of ALL_SAMPLES) {
    const src = openCaptureFiles([sample(name)]);
    for await (const batch of src) out.push(...batch);
  }
  return out;
}

/**
 * decode → features → scale → windows over >= 1,000,000 packets: the real samples looped,
 * each round shifted 1000 s later so the context sees time pass (hosts repeat, as on a LAN).
 * Also times the feature stages alone on pre-decoded packets, the extractor alone, and decode alone.
 */
export async function runFeaturesBench(): Promise<Record<string, number>> {
  if (!HAVE_SAMPLES) throw new Error('features bench needs ../shared/samples (set LLN_SAMPLES_DIR)');
  const raws = await loadRaw();
  const F = FEATURE_COUNT;
  const vec = new Float32Array(F);

  // Fit the scaler on one pass (not timed).
  const fitter = new ScalerFitter();
  const fx0 = new FeatureExtractor();
  for (const r of raws) {
    fx0.extract(decode(r), vec, 0);
    fitter.add(vec, 0);
  }
  const scaler = fitter.finish();

  const rounds = Math.ceil(TARGET_PACKETS / raws.length);
  const baseSec = raws.map((r) => r.tsSec);

  // 1) Full chain including decode.
  let fx = new FeatureExtractor();
  let wb = new WindowBuilder(W, S, F);
  let windows = 0;
  let n = 0;
  let t0 = process.hrtime.bigint();
  let c0 = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < raws.length; i++) {
      const r = raws[i];
      r.tsSec = baseSec[i] + round * 1000;
      r.frame = ++n;
      const p = decode(r);
      fx.extract(p, vec, 0);
      scaler.transform(vec, 0);
      if (wb.push(n, vec, 0)) windows++;
    }
  }
  if (wb.flush()) windows++;
  const fullSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const fullCpu = cpuSeconds(c0);

  // 2) Feature stages only, on pre-decoded packets (timestamps shifted in place).
  raws.forEach((r, i) => (r.tsSec = baseSec[i]));
  const decoded: DecodedPacket[] = raws.map((r) => decode(r));
  const baseTs = decoded.map((p) => p.ts);
  fx = new FeatureExtractor();
  wb = new WindowBuilder(W, S, F);
  let m = 0;
  t0 = process.hrtime.bigint();
  c0 = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < decoded.length; i++) {
      const p = decoded[i];
      p.ts = baseTs[i] + round * 1000;
      fx.extract(p, vec, 0);
      scaler.transform(vec, 0);
      wb.push(++m, vec, 0);
    }
  }
  const featSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const featCpu = cpuSeconds(c0);

  // 3) FeatureExtractor alone (no scale, no windows), and 4) decode alone: where the time goes.
  fx = new FeatureExtractor();
  c0 = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < decoded.length; i++) {
      const p = decoded[i];
      p.ts = baseTs[i] + round * 1000;
      fx.extract(p, vec, 0);
    }
  }
  const extractCpu = cpuSeconds(c0);
  let sink = 0;
  c0 = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < raws.length; i++) sink += decode(raws[i]).payloadLen;
  }
  const decodeCpu = cpuSeconds(c0);
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // keep the decode loop observable

  return {
    packets: n,
    featureCount: F,
    windows,
    decodeFeaturesScaleWindowsPktsPerSec: Math.round(n / fullSec),
    featuresScaleWindowsPktsPerSec: Math.round(m / featSec),
    // Per CPU second (user+sys, incl. GC threads): meaningful when other jobs share the cores.
    decodeFeaturesScaleWindowsPktsPerCpuSec: Math.round(n / fullCpu),
    featuresScaleWindowsPktsPerCpuSec: Math.round(m / featCpu),
    extractOnlyPktsPerCpuSec: Math.round(m / extractCpu),
    decodeOnlyPktsPerCpuSec: Math.round(n / decodeCpu),
    hosts: fx.stats().hosts,
    sockets: fx.stats().sockets,
  };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

if (require.main === module) {
  runFeaturesBench().then((r) => console.log(JSON.stringify(r, null, 2)), (e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
