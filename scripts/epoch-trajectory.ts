/**
 * `node dist/scripts/epoch-trajectory.js [--nets a,b] [--seeds 1,7,8] [--epochs N]`: trains the
 * default recipe for N epochs without early stopping, keeps every epoch's model
 * (samples/generated/quality/trajectory/NET-seedS/epochs/epoch-E), scores each on its network's
 * mixes and prints, per epoch, what early stopping saw (the check, the held-out loss) next to
 * what a user gets on the new day (the alert rule's figures). Training is deterministic per seed,
 * so these are the very epochs the recipe's runs choose among: any epoch-choice rule can be
 * judged here without training again (issue 30 item 5: why the seeds spread).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runTraining } from '../src/train/run-training';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import { QUALITY_CACHE, devArgs, type DevNetwork } from './dev-networks';
import { saveScores } from './save-scores';
import { flowHoldRule, loadRun, measure, summarise } from './score-rules';

interface EpochRow { epoch: number; check: number | null; valLoss: number | null; tpr: number; fpr: number; raised: number; falsePer10k: number; falsePerDay: number; rocAuc: number }

export function trajectoryDir(net: DevNetwork, seed: number): string {
  return path.join(QUALITY_CACHE, 'trajectory', `${net.name}-seed${seed}`);
}

async function trajectory(net: DevNetwork, seed: number, epochs: number): Promise<EpochRow[]> {
  const out = trajectoryDir(net, seed);
  const snaps = path.join(out, 'epochs');
  if (!existsSync(path.join(out, 'model.json'))) {
    await runTraining({ ...TRAINING_DEFAULTS, files: [path.join(net.dir, 'train-benign.pcap')], synthetic: true, out, backend: 'auto', seed, progress: false, epochs, patience: epochs + 1, epochSnapshots: snaps });
  }
  const history = (JSON.parse(readFileSync(path.join(out, 'training-report.json'), 'utf8')) as { history: { valLoss: number | null; check: { monitor: number } | null }[] }).history;
  const rows: EpochRow[] = [];
  for (let e = 1; e <= history.length; e++) {
    const dir = path.join(snaps, `epoch-${e}`);
    if (!existsSync(path.join(dir, 'model.json'))) continue;
    if (!existsSync(path.join(dir, 'scores', 'train-benign.f32'))) await saveScores(net, dir, path.join(dir, 'scores'));
    const run = loadRun(net, path.join(dir, 'scores'), dir)!;
    const s = summarise(run.mixes.map((m) => measure(m, flowHoldRule(run.threshold)(m), new IncidentTracker())), net.heldOutDays);
    rows.push({ epoch: e, check: history[e - 1].check?.monitor ?? null, valLoss: history[e - 1].valLoss, tpr: s.tpr, fpr: s.fpr, raised: s.raised, falsePer10k: s.falsePer10k, falsePerDay: s.falsePerDay, rocAuc: s.rocAuc });
  }
  return rows;
}

async function main(): Promise<void> {
  const { nets, seeds, arg } = devArgs();
  const epochs = Number(arg('--epochs') ?? 14);
  for (const net of nets) {
    for (const seed of seeds) {
      const rows = await trajectory(net, seed, epochs);
      const bestCheck = rows.reduce((b, r) => ((r.check ?? -1) > (b.check ?? -1) ? r : b), rows[0]);
      const bestLoss = rows.reduce((b, r) => ((r.valLoss ?? Infinity) < (b.valLoss ?? Infinity) ? r : b), rows[0]);
      process.stdout.write(`\n${net.name} seed ${seed} (early stopping's choice: the check epoch ${bestCheck.epoch}, the held-out loss epoch ${bestLoss.epoch})\n\n`);
      process.stdout.write('| epoch | check | held-out loss | ROC-AUC | TPR @ rule | FPR @ rule | attacks raising an incident | false incidents / 24 h | / 10k benign |\n|---|---|---|---|---|---|---|---|---|\n');
      for (const r of rows) process.stdout.write(`| ${r.epoch}${r === bestCheck ? ' (check)' : ''}${r === bestLoss ? ' (loss)' : ''} | ${r.check?.toFixed(4) ?? '-'} | ${r.valLoss?.toFixed(4) ?? '-'} | ${r.rocAuc.toFixed(3)} | ${r.tpr.toFixed(3)} | ${(r.fpr * 100).toFixed(2)}% | ${r.raised} | ${r.falsePerDay < 100 ? r.falsePerDay.toFixed(1) : r.falsePerDay.toFixed(0)} | ${r.falsePer10k.toFixed(2)} |\n`);
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
