/**
 * `node dist/scripts/save-scores.js [--nets a,b] [--seeds 1,7,8] [--shipped]`: scores every mix
 * (and train-benign.pcap, whose last part is the calibration's held-out benign) of each
 * development network once with each user-trained model (train-dev-models.ts) and, with
 * --shipped, the shipped model, and saves the model's own per-packet scores, before any alert
 * rule, next to the model: samples/generated/quality/NET-seedS/scores/MIX.f32. The packets'
 * keys (time, hosts, ports, flags, label) go once per network to
 * samples/generated/quality/NET-packets/MIX.json. The alert-rule experiments (score-rules.ts)
 * then replay any rule over them in seconds, without scoring again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openScorer } from '../src/pipeline/open-scorer';
import { scoreCapture } from '../src/pipeline/score-capture';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { QUALITY_CACHE, devArgs, userModelDir, type DevNetwork } from './dev-networks';

/** One network's captures: every mix, and the training capture (for the calibration part). */
export function captures(net: DevNetwork): { name: string; file: string; labels: string | null }[] {
  const mixes = readFileSync(path.join(net.dir, 'MANIFEST.csv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split(',')[0].replace(/\.pcap$/, ''))
    .filter((m) => m !== 'train-benign');
  return [
    { name: 'train-benign', file: path.join(net.dir, 'train-benign.pcap'), labels: null },
    ...mixes.map((m) => ({ name: m, file: path.join(net.dir, 'mixes', `${m}.pcap`), labels: path.join(net.dir, 'mixes', `${m}.labels.csv`) })),
  ];
}

export function packetsDir(net: DevNetwork): string {
  return path.join(QUALITY_CACHE, `${net.name}-packets`);
}

/** Where a model trained without this network (the shipped one, or a candidate for it) keeps its scores on `net`. */
export function shippedScoresDir(net: DevNetwork, modelDir = DEFAULT_MODEL_DIR): string {
  return path.resolve(modelDir) === path.resolve(DEFAULT_MODEL_DIR) ? path.join(QUALITY_CACHE, `${net.name}-shipped`) : path.join(modelDir, 'scores', net.name);
}

/** Scores every capture of `net` with the model in `modelDir` (own scores, no alert rule) into `outDir`; the packets' keys once per network. */
export async function saveScores(net: DevNetwork, modelDir: string, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const model = await openScorer({ modelDir, backend: 'auto', worker: true, batch: 512 });
  try {
    for (const c of captures(net)) {
      const keysFile = path.join(packetsDir(net), `${c.name}.json`);
      const needKeys = !existsSync(keysFile);
      const scores: number[] = [];
      const cols = { ts: [] as number[], src: [] as (string | null)[], dst: [] as (string | null)[], srcMac: [] as (string | null)[], proto: [] as number[], sport: [] as number[], dport: [] as number[], flags: [] as number[] };
      await scoreCapture([c.file], model, { verdicts: false }, (p, s) => {
        scores.push(s);
        if (!needKeys) return;
        cols.ts.push(p.ts);
        cols.src.push(p.srcIp ?? p.arpSenderIp);
        cols.dst.push(p.dstIp ?? p.arpTargetIp);
        cols.srcMac.push(p.srcMac);
        cols.proto.push(p.ipProto);
        cols.sport.push(p.srcPort);
        cols.dport.push(p.dstPort);
        cols.flags.push(p.tcpFlags);
      });
      writeFileSync(path.join(outDir, `${c.name}.f32`), Buffer.from(Float32Array.from(scores).buffer));
      if (needKeys) {
        const labels = new Array<number>(scores.length).fill(0);
        if (c.labels) {
          for (const l of readFileSync(c.labels, 'utf8').trim().split('\n').slice(1)) {
            const [frame, label] = l.split(',');
            labels[Number(frame) - 1] = label.trim() === '1' ? 1 : 0;
          }
        }
        mkdirSync(packetsDir(net), { recursive: true });
        writeFileSync(keysFile, JSON.stringify({ ...cols, label: labels }));
      }
    }
  } finally {
    await model.scorer.dispose();
  }
}

async function main(): Promise<void> {
  const { nets, seeds, variant, arg } = devArgs();
  for (const net of nets) {
    const models: { dir: string; out: string }[] = seeds.map((s) => ({ dir: userModelDir(net, s, variant), out: path.join(userModelDir(net, s, variant), 'scores') }));
    if (process.argv.includes('--shipped')) models.push({ dir: DEFAULT_MODEL_DIR, out: shippedScoresDir(net) });
    // --candidate DIR: a model meant to become the shipped one.
    const candidate = arg('--candidate');
    if (candidate) models.push({ dir: candidate, out: shippedScoresDir(net, candidate) });
    for (const m of models) {
      if (!existsSync(path.join(m.dir, 'model.json'))) {
        process.stdout.write(`${m.dir}: no model (run train-dev-models.js first), skipped\n`);
        continue;
      }
      const t0 = Date.now();
      await saveScores(net, m.dir, m.out);
      process.stdout.write(`${net.name}: ${m.dir} scored in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
