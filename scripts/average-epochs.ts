/**
 * `node dist/scripts/average-epochs.js NET SEED FROM-TO[,FROM-TO…]`: the mean of the weights of
 * epochs FROM..TO of a trajectory (epoch-trajectory.ts), built from the kept epochs' weights.bin
 * (all float32, one layout), scored on NET and measured with the shipped rule: does averaging
 * along the run steady what the new day gets (issue 30 item 5)? No training.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import { DEV_NETWORKS } from './dev-networks';
import { trajectoryDir } from './epoch-trajectory';
import { saveScores } from './save-scores';
import { flowHoldRule, loadRun, measure, summarise } from './score-rules';

async function main(): Promise<void> {
  const [netName, seedText, ranges] = process.argv.slice(2);
  const net = DEV_NETWORKS.find((n) => n.name === netName);
  if (!net || !ranges) throw new Error('usage: average-epochs.js NET SEED FROM-TO[,FROM-TO...]');
  const base = trajectoryDir(net, Number(seedText));
  for (const range of ranges.split(',')) {
    const [from, to] = range.split('-').map(Number);
    const dirs = Array.from({ length: to - from + 1 }, (_, k) => path.join(base, 'epochs', `epoch-${from + k}`));
    if (!dirs.every((d) => existsSync(path.join(d, 'weights.bin')))) { process.stdout.write(`${range}: epochs missing\n`); continue; }
    const out = path.join(base, 'averaged', `epochs-${from}-${to}`);
    if (!existsSync(path.join(out, 'scores', 'train-benign.f32'))) {
      mkdirSync(out, { recursive: true });
      const mean = new Float64Array(readFileSync(path.join(dirs[0], 'weights.bin')).byteLength / 4);
      for (const d of dirs) {
        const b = readFileSync(path.join(d, 'weights.bin'));
        const w = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
        for (let i = 0; i < w.length; i++) mean[i] += w[i] / dirs.length;
      }
      writeFileSync(path.join(out, 'weights.bin'), Buffer.from(Float32Array.from(mean).buffer));
      for (const f of ['model.json', 'scaler.json', 'features.json', 'threshold.json']) copyFileSync(path.join(dirs[dirs.length - 1], f), path.join(out, f));
      await saveScores(net, out, path.join(out, 'scores'));
    }
    const run = loadRun(net, path.join(out, 'scores'), out)!;
    const s = summarise(run.mixes.map((m) => measure(m, flowHoldRule(run.threshold)(m), new IncidentTracker())), net.heldOutDays);
    process.stdout.write(`| ${net.name} seed ${seedText} | epochs ${from}–${to} | ${s.rocAuc.toFixed(3)} | ${s.tpr.toFixed(3)} / ${(s.fpr * 100).toFixed(2)}% | ${s.raised} | ${s.falsePerDay < 100 ? s.falsePerDay.toFixed(1) : s.falsePerDay.toFixed(0)} a day, ${s.falsePer10k.toFixed(2)} per 10k | ${s.maxDelay?.toFixed(1) ?? '-'} s |\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
