/**
 * Golden check for feature-extraction speed work: sha256 of every raw feature vector (and of
 * every decoded packet) per capture, so an optimisation can be proven bit-identical.
 *
 *   node dist/bench/features-golden.js write <golden.json> [generated.pcap]
 *   node dist/bench/features-golden.js check <golden.json> [generated.pcap]
 *
 * Captures: every sample in ../shared/samples, a generated LAN capture (seed 3, 600 s,
 * 60 hosts, ~100k packets; written once to the given path and reused), and the generated
 * capture again under tiny table caps, where eviction is exercised on every few packets.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { decode } from '../src/capture/decode';
import { openCaptureFiles } from '../src/capture/file-source';
import type { ContextOptions } from '../src/features/context-options';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { FEATURE_COUNT } from '../src/features/schema';
import { generateCapture } from '../src/generator/generate-capture';
import { ALL_SAMPLES, HAVE_SAMPLES, sample } from '../test/helpers/samples';

export interface GoldenEntry {
  packets: number;
  /** sha256 over all Float32 vectors, in capture order. */
  vectors: string;
  /** sha256 over JSON of every DecodedPacket (minus `source`, which names the file). */
  decoded: string;
  stats: string;
}

/** Tiny caps: the tables rotate generations constantly on the generated capture. */
const PRESSURE_CAPS: ContextOptions = { maxHosts: 16, maxChannels: 24, maxSockets: 40, maxArpRequests: 4 };

export async function hashCapture(file: string, opts?: ContextOptions): Promise<GoldenEntry> {
  const fx = new FeatureExtractor(opts);
  const vec = new Float32Array(FEATURE_COUNT);
  const bytes = new Uint8Array(vec.buffer);
  const hv = createHash('sha256');
  const hd = createHash('sha256');
  let packets = 0;
  for await (const batch of openCaptureFiles([file])) {
    for (const raw of batch) {
      const p = decode(raw);
      hd.update(JSON.stringify({ ...p, source: '' }));
      fx.extract(p, vec, 0);
      hv.update(bytes);
      packets++;
    }
  }
  return { packets, vectors: hv.digest('hex'), decoded: hd.digest('hex'), stats: JSON.stringify(fx.stats()) };
}

export async function goldenAll(genPath: string): Promise<Record<string, GoldenEntry>> {
  if (!HAVE_SAMPLES) throw new Error('golden check needs ../shared/samples (set LLN_SAMPLES_DIR)');
  if (!existsSync(genPath)) await generateCapture({ out: genPath, seed: 3, durationSec: 600, hosts: 60 });
  const out: Record<string, GoldenEntry> = {};
  for (const name of ALL_SAMPLES) out[name] = await hashCapture(sample(name));
  out['generated-seed3'] = await hashCapture(genPath);
  out['generated-seed3-tiny-caps'] = await hashCapture(genPath, PRESSURE_CAPS);
  return out;
}

async function main(): Promise<void> {
  const [mode, goldenPath, genPath = '/tmp/P-gen.pcap'] = process.argv.slice(2);
  if ((mode !== 'write' && mode !== 'check') || !goldenPath) {
    throw new Error('usage: features-golden.js write|check <golden.json> [generated.pcap]');
  }
  const now = await goldenAll(genPath);
  if (mode === 'write') {
    writeFileSync(goldenPath, JSON.stringify(now, null, 1) + '\n');
    console.log(JSON.stringify(now, null, 1));
    return;
  }
  const then = JSON.parse(readFileSync(goldenPath, 'utf8')) as Record<string, GoldenEntry>;
  let bad = 0;
  for (const [name, e] of Object.entries(now)) {
    const g = then[name];
    const same = g !== undefined && g.vectors === e.vectors && g.decoded === e.decoded && g.packets === e.packets && g.stats === e.stats;
    if (!same) bad++;
    console.log(`${same ? 'SAME' : 'DIFF'} ${name} packets=${e.packets} vectors=${e.vectors.slice(0, 16)} decoded=${e.decoded.slice(0, 16)} stats=${e.stats}`);
  }
  console.log(bad === 0 ? 'all identical' : `${bad} capture(s) differ`);
  if (bad > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
