/**
 * `node dist/scripts/compare-rules.js [--mixes]`: every alert rule under study over the saved
 * scores of each development network, seed and the shipped model (save-scores.ts), as one
 * summary table; --mixes adds the per-mix tables.
 */
import path from 'node:path';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { DEV_SEEDS, availableNetworks, userModelDir } from './dev-networks';
import { shippedScoresDir } from './save-scores';
import { meanSummary, SUMMARY_HEADER, flowHoldRule, replayRule, loadRun, measure, mixTable, summarise, summaryRow, type Rule, type SavedRun, type Summary } from './score-rules';
import { evidenceRule } from './evidence-rule';
import { actorRule, actorVariants } from './actor-rule';

function rules(run: SavedRun): [string, Rule][] {
  const list: [string, Rule][] = [['replay rule (flow-hold, actor, target)', replayRule(run.threshold)], ['without the target verdict', replayRule(run.threshold, true, false)], ['flow-hold without the actor and target verdicts', flowHoldRule(run.threshold)]];
  if (process.env.NO_NEAR) list.push(['flow-hold without neighbours', flowHoldRule(run.threshold, false)], ['replay rule without neighbours', replayRule(run.threshold, false)]);
  if (process.env.SINGLE) list.push(['flow-hold, one opening packet holds (before corroboration)', flowHoldRule(run.threshold, true, 1)]);
  for (const t of (process.env.THRS ?? '').split(',').filter(Boolean).map(Number)) list.push([`flow-hold at ${t}`, flowHoldRule(t)], [`replay rule at ${t}`, replayRule(t)]);
  for (const [name, r] of evidenceRule(run)) list.push([name, r]);
  for (const a of actorVariants()) list.push([`actor ${a.count} at ${a.level} in ${a.seconds} s${a.own ? ' own' : a.atApply ? ' at apply' : a.forward ? ' forward' : ''}${a.target ? ' per target' : ''}${a.pair ? ' per source and target' : ''}${a.share ? ` share ${a.share}` : ''}`, actorRule(process.env.ACTOR_ON_REPLAY ? replayRule(run.threshold) : flowHoldRule(run.threshold), run.threshold, a)]);
  return list;
}

function main(): void {
  const lines = [SUMMARY_HEADER];
  const details: string[] = [];
  for (const net of availableNetworks()) {
    const runs: [string, SavedRun | null][] = DEV_SEEDS.map((s) => [`seed ${s}`, loadRun(net, path.join(userModelDir(net, s), 'scores'), userModelDir(net, s))]);
    // VARIANTS=a,b: the same seeds trained with a recipe change (train-dev-models.js --variant), measured with the same rules.
    for (const v of (process.env.VARIANTS ?? '').split(',').filter(Boolean)) {
      for (const s of DEV_SEEDS) runs.push([`${v} seed ${s}`, loadRun(net, path.join(userModelDir(net, s, v), 'scores'), userModelDir(net, s, v))]);
    }
    // CANDIDATE=DIR: a model meant to become the shipped one, scored with save-scores.js --candidate DIR.
    if (process.env.CANDIDATE) runs.push(['candidate', loadRun(net, shippedScoresDir(net, process.env.CANDIDATE), process.env.CANDIDATE)]);
    runs.push(['shipped', loadRun(net, shippedScoresDir(net), DEFAULT_MODEL_DIR)]);
    const seedRows = new Map<string, Summary[]>();
    for (const [model, run] of runs) {
      if (run === null) continue;
      for (const [name, rule] of rules(run)) {
        const rows = run.mixes.map((m) => measure(m, rule(m), new IncidentTracker(process.env.GAP_FRAMES ? { gapFrames: Number(process.env.GAP_FRAMES) } : {})));
        const s = summarise(rows, net.heldOutDays);
        const key = name.replace(/ \(cal .*\)$/, '');
        if (model !== 'shipped' && model !== 'candidate') { const k2 = model.replace(/seed \d+$/, '') + key; seedRows.set(k2, [...(seedRows.get(k2) ?? []), s]); }
        else for (const [k, list] of seedRows) if (list.length === DEV_SEEDS.length) { lines.push(summaryRow(net.name, `**mean of seeds**, ${k}`, meanSummary(list))); seedRows.delete(k); }
        lines.push(summaryRow(net.name, `${model}, ${name}`, s));
        if (process.argv.includes('--mixes')) details.push(`\n${net.name}, ${model}, ${name}\n\n${mixTable(rows, net.heldOutDays)}`);
      }
    }
  }
  process.stdout.write(lines.join('\n') + '\n' + details.join('\n') + '\n');
}

main();
