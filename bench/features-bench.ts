import { decode } from '../src/capture/decode';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { ScalerFitter } from '../src/features/scaler';
import { FEATURE_COUNT } from '../src/features/schema';
import { WindowBuilder } from '../src/features/window-builder';
import type { WindowScorer } from '../src/model/scorer-types';
import { ScoringPipeline } from '../src/pipeline/scoring-pipeline';
import { ALL_SAMPLES, HAVE_SAMPLES, sample } from '../test/helpers/samples';

const TARGET_PACKETS = 1_000_000;
/** The stride the replay bench reaches its goal with (see README, Performance). */
const S = 16;
/** The default model's window (models/default/features.json). */
const W = 32;

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
 * Times the replay pipeline minus the model, the bare decode → features → scale → windows chain,
 * and (for where the time goes) the extractor alone on decoded packets and decode alone.
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

  // 1) The replay pipeline's per-packet path: decode → features → scale → windows → pending
  // ring → batches, with a scorer that answers at once (this measures everything but the model).
  const instant: WindowScorer = {
    window: W, features: F, dispose: () => undefined,
    scoreRows: async (_rows: Float32Array, _ends: Int32Array, k: number) => ({ scores: new Float32Array(k), attention: new Float32Array(k * W) }),
  };
  const runPipeline = async (roundsToRun: number): Promise<{ n: number; sec: number; cpu: number; windows: number }> => {
    let finals = 0;
    const pipeline = new ScoringPipeline({
      scaler, scorer: instant, window: W, stride: S, features: F, batchWindows: 512,
      onFinal: (f) => { finals += f.length; },
    });
    let n = 0;
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    for (let round = 0; round < roundsToRun; round++) {
      for (let i = 0; i < raws.length; i++) {
        raws[i].tsSec = baseSec[i] + round * 1000;
        raws[i].frame = ++n;
      }
      for (let i = 0; i < raws.length; i += 1024) await pipeline.push(raws.slice(i, i + 1024));
    }
    await pipeline.finish();
    if (finals !== n) throw new Error(`pipeline released ${finals} of ${n} packets`);
    return { n, sec: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuSeconds(c), windows: pipeline.windowsScored };
  };
  // 2) The bare chain: decode → features → scale → windows (copied into a batch buffer),
  // without the pipeline's pending ring and batch bookkeeping.
  const runChain = (roundsToRun: number): { n: number; sec: number; cpu: number } => {
    const fx = new FeatureExtractor();
    const wb = new WindowBuilder(W, S, F);
    const batch = new Float32Array(512 * W * F);
    let inBatch = 0;
    let n = 0;
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    for (let round = 0; round < roundsToRun; round++) {
      for (let i = 0; i < raws.length; i++) {
        const r = raws[i];
        r.tsSec = baseSec[i] + round * 1000;
        fx.extract(decode(r), vec, 0);
        scaler.transformInto(vec, 0, wb.ring, wb.nextRow());
        if (wb.commit(++n)) {
          wb.writeWindow(batch, inBatch * W * F);
          inBatch = (inBatch + 1) % 512;
        }
      }
    }
    return { n, sec: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuSeconds(c) };
  };

  // Steady state is what a long replay runs at: ~100k packets first, untimed, so V8 has
  // optimised the whole path before the clock starts. Then three rounds of each, interleaved:
  // on a shared machine one run can be 30% off, so the median and the best are both reported.
  await runPipeline(Math.ceil(rounds / 10));
  runChain(Math.ceil(rounds / 10));
  const pipe: Array<{ n: number; sec: number; cpu: number; windows: number }> = [];
  const chain: Array<{ n: number; sec: number; cpu: number }> = [];
  for (let rep = 0; rep < 3; rep++) {
    pipe.push(await runPipeline(rounds));
    chain.push(runChain(rounds));
  }
  const rates = (runs: Array<{ n: number; sec: number }>): number[] => runs.map((r) => r.n / r.sec).sort((a, b) => a - b);
  const pipeRates = rates(pipe);
  const chainRates = rates(chain);
  const { n, windows } = pipe[0];
  const fullCpu = pipe.reduce((a, r) => a + r.cpu, 0) / pipe.length;
  const featCpu = chain.reduce((a, r) => a + r.cpu, 0) / chain.length;
  const m = chain[0].n;

  raws.forEach((r, i) => (r.tsSec = baseSec[i]));
  const decoded: DecodedPacket[] = raws.map((r) => decode(r));
  const baseTs = decoded.map((p) => p.ts);
  // 3) FeatureExtractor alone (no scale, no windows), and 4) decode alone: where the time goes.
  let fx = new FeatureExtractor();
  let c0 = process.cpuUsage();
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
    stride: S,
    // The replay pipeline minus the model: decode, features, scale, windows, pending ring, batches.
    pipelinePktsPerSec: Math.round(pipeRates[1]),
    pipelinePktsPerSecBest: Math.round(pipeRates[2]),
    decodeFeaturesScaleWindowsPktsPerSec: Math.round(chainRates[1]),
    decodeFeaturesScaleWindowsPktsPerSecBest: Math.round(chainRates[2]),
    // Per CPU second (user+sys, incl. GC threads; mean of the runs): meaningful when other jobs share the cores.
    pipelinePktsPerCpuSec: Math.round(n / fullCpu),
    decodeFeaturesScaleWindowsPktsPerCpuSec: Math.round(m / featCpu),
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
