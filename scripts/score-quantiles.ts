/**
 * `node dist/scripts/score-quantiles.js`: per network and model, the flow-verdict scores' quantiles
 * of the calibration part, of the mixes' held-out benign packets and of their attack packets
 * (saved scores): how far a new day's benign scores lie from what calibration sees.
 */
import path from 'node:path';
import { DEV_SEEDS, availableNetworks, userModelDir } from './dev-networks';
import { flowHoldRule, loadRun } from './score-rules';

function q(sorted: Float32Array, p: number): string {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(4) : '-';
}

const variant = process.env.VARIANT ?? '';
for (const net of availableNetworks()) {
  for (const s of DEV_SEEDS) {
    const run = loadRun(net, path.join(userModelDir(net, s, variant), 'scores'), userModelDir(net, s, variant));
    if (!run) continue;
    const rule = flowHoldRule(2); // the verdicts' scores, nothing flagged
    const cal = Float32Array.from(rule(run.calibration).score).sort();
    // The benign part is the same in every mix: take it from the first.
    const m0 = run.mixes[0];
    const sc = rule(m0).score;
    const ben = Float32Array.from(sc.filter((_, i) => m0.packets.label[i] === 0)).sort();
    const att: number[] = [];
    for (const m of run.mixes) { const o = rule(m).score; o.forEach((v, i) => { if (m.packets.label[i]) att.push(v); }); }
    const a = Float32Array.from(att).sort();
    process.stdout.write(`${net.name} seed ${s}${variant ? ` (${variant})` : ''}: calibration p99 ${q(cal, 0.99)} p99.5 ${q(cal, 0.995)} max ${q(cal, 1 - 1e-9)} | new-day benign p99 ${q(ben, 0.99)} p99.5 ${q(ben, 0.995)} p99.9 ${q(ben, 0.999)} | attacks p10 ${q(a, 0.1)} p25 ${q(a, 0.25)} median ${q(a, 0.5)}\n`);
  }
}
