/**
 * `node dist/scripts/realdata-report.js --model DIR [--threshold T] [--stride S] [--mixes a,b] [--incidents]`: the realdata table for one
 * model (what `npm run quality` prints for its trained and shipped models), without training.
 */
import { openScorer } from '../src/pipeline/open-scorer';
import { evaluateMix, realdataMixes, realdataTable } from './realdata-eval';

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const model = await openScorer({ modelDir: arg('--model'), backend: 'auto', worker: true, batch: 512 });
  const threshold = arg('--threshold') !== undefined ? Number(arg('--threshold')) : model.threshold;
  const only = arg('--mixes')?.split(',');
  const stride = arg('--stride') !== undefined ? Number(arg('--stride')) : undefined;
  const rows = [];
  for (const mix of realdataMixes()) if (!only || only.includes(mix)) rows.push(await evaluateMix(model, mix, undefined, threshold, stride));
  await model.scorer.dispose();
  process.stdout.write(`model ${model.id}, threshold ${threshold.toFixed(4)}, stride ${stride ?? model.stride}\n\n${realdataTable(rows)}\n`);
  // The benign part is the same in every mix: its false incidents are listed once, from the first mix.
  if (process.argv.includes('--incidents') && rows.length > 0) {
    process.stdout.write(`\nfalse incidents in ${rows[0].mix}:\n${rows[0].falseIncidents.join('\n')}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
