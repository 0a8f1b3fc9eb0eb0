/**
 * `npm run train:default`: regenerate models/default from the project's own generated benign
 * LANs plus, when ../shared is beside the project, real benign traffic (REAL_BENIGN_CAPTURES).
 * No labels: synthetic anomalies are injected, as for a user's traffic; the recipe is the
 * default one (src/train/recipe.ts) but for the training stride, 8 (4 times the packets), three
 * synthetic copies and the threshold floor (SHIPPED_THRESHOLD_FLOOR).
 * `--out DIR` writes the model there instead of replacing models/default (to judge it first);
 * `--synthetic-kinds a,b,…` trains on other synthetic kinds than the default ones; `--seed N`
 * another seed than the recipe's; `--synthetic-copies N` other than the shipped model's 3;
 * `--init-model DIR` fine-tunes that model (e.g. models/default) instead of fresh weights, at
 * `--learning-rate LR`.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../src/paths';
import { runTraining } from '../src/train/run-training';
import { REAL_BENIGN_CAPTURES, SHIPPED_THRESHOLD_FLOOR, TRAINING_CAPTURES, generatedDir } from './default-model-recipe';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { Command, InvalidArgumentError } from 'commander';
import type { InjectionKind } from '../src/train/anomaly-injector';

async function main(): Promise<void> {
  const o = parseOptions(process.argv);
  const dir = generatedDir(PACKAGE_ROOT);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const c of TRAINING_CAPTURES) {
    const out = path.join(dir, c.name);
    // Always regenerated (seconds): a cached file could come from an older recipe.
    const r = await generateCapture({ out, seed: c.seed, durationSec: c.durationSec, hosts: c.hosts });
    process.stderr.write(`generated ${out}: ${r.packets} packets\n`);
    files.push(out);
  }
  const shared = path.join(PACKAGE_ROOT, '..', 'shared');
  for (const f of REAL_BENIGN_CAPTURES) {
    const p = path.join(shared, f);
    if (existsSync(p)) files.push(p);
    else process.stderr.write(`not found, trained without it: ${p}\n`);
  }
  const epochs = Number(process.env.LLN_DEFAULT_EPOCHS ?? 10);
  const dest = o.out ? path.resolve(o.out) : DEFAULT_MODEL_DIR;
  const tmp = dest + '.new';
  rmSync(tmp, { recursive: true, force: true });
  const s = await runTraining({
    ...TRAINING_DEFAULTS, files, epochs, batchSize: 64, trainStride: 8, patience: 3, syntheticCopies: o.syntheticCopies, thresholdFloor: SHIPPED_THRESHOLD_FLOOR, synthetic: true, syntheticKinds: o.syntheticKinds, seed: o.seed, initModel: o.initModel, learningRate: o.learningRate, out: tmp, backend: 'auto',
  });
  // Replace the shipped model only once the new one is complete.
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  process.stdout.write(`default model: ${s.packets} packets, ${s.trainWindows} training windows, ${s.epochs} epochs, threshold ${s.threshold.toFixed(4)}\n`);
  process.stdout.write(JSON.stringify(s.validation) + '\n');
}

/** The script's options; the injector itself refuses an unknown synthetic kind. */
function parseOptions(argv: string[]): { out?: string; syntheticKinds?: InjectionKind[]; seed: number; syntheticCopies: number; initModel?: string; learningRate: number } {
  const whole = (name: string, min: number) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} wants a whole number >= ${min}, got ${v}`);
    return n;
  };
  return new Command('train-default')
    .option('--out <dir>', 'write the model here instead of replacing models/default')
    .option('--synthetic-kinds <list>', 'synthetic kinds, comma-separated', (v: string) => v.split(',').map((k) => k.trim()).filter(Boolean) as InjectionKind[])
    .option('--seed <n>', 'training seed', whole('--seed', 0), TRAINING_DEFAULTS.seed)
    // Three by default, as models/default was trained: six (the user recipe's) is not yet judged for it.
    .option('--synthetic-copies <n>', 'synthetic copies of the training traffic', whole('--synthetic-copies', 1), 3)
    .option('--init-model <dir>', 'fine-tune this model instead of starting from fresh weights')
    .option('--learning-rate <lr>', 'Adam learning rate', (v: string) => {
      const n = Number(v);
      if (!(n > 0)) throw new InvalidArgumentError(`--learning-rate wants a number > 0, got ${v}`);
      return n;
    }, TRAINING_DEFAULTS.learningRate)
    .parse(argv)
    .opts();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
