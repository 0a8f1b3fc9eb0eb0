/**
 * `npm run train:default`: regenerate models/default from the project's own generated benign
 * LANs plus, when ../shared is beside the project, real benign traffic (REAL_BENIGN_CAPTURES).
 * No labels: synthetic anomalies are injected, as for a user's traffic; the recipe is the
 * default one (src/train/recipe.ts) but for the training stride, 8 (4 times the packets), and
 * three synthetic copies.
 * `--out DIR` writes the model there instead of replacing models/default (to judge it first);
 * `--synthetic-kinds a,b,…` trains on other synthetic kinds than the default ones; `--seed N`
 * another seed than the recipe's; `--synthetic-copies N` other than the shipped model's 3.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../src/paths';
import { runTraining } from '../src/train/run-training';
import { REAL_BENIGN_CAPTURES, TRAINING_CAPTURES, generatedDir } from './default-model-recipe';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { INJECTION_KINDS, type InjectionKind } from '../src/train/anomaly-injector';

async function main(): Promise<void> {
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
  const i = process.argv.indexOf('--out');
  const dest = i > 0 ? path.resolve(process.argv[i + 1]) : DEFAULT_MODEL_DIR;
  const k = process.argv.indexOf('--synthetic-kinds');
  const syntheticKinds = k > 0 ? parseKinds(process.argv[k + 1]) : undefined;
  const j = process.argv.indexOf('--seed');
  const seed = j > 0 ? Number(process.argv[j + 1]) : TRAINING_DEFAULTS.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed wants a whole number >= 0, got ${process.argv[j + 1]}`);
  const c = process.argv.indexOf('--synthetic-copies');
  // Three by default, as models/default was trained: six (the user recipe's) is not yet judged for it.
  const syntheticCopies = c > 0 ? Number(process.argv[c + 1]) : 3;
  if (!Number.isInteger(syntheticCopies) || syntheticCopies < 1) throw new Error(`--synthetic-copies wants a whole number >= 1, got ${process.argv[c + 1]}`);
  const tmp = dest + '.new';
  rmSync(tmp, { recursive: true, force: true });
  const s = await runTraining({
    ...TRAINING_DEFAULTS, files, epochs, batchSize: 64, trainStride: 8, patience: 3, syntheticCopies, synthetic: true, syntheticKinds, seed, out: tmp, backend: 'auto',
  });
  // Replace the shipped model only once the new one is complete.
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  process.stdout.write(`default model: ${s.packets} packets, ${s.trainWindows} training windows, ${s.epochs} epochs, threshold ${s.threshold.toFixed(4)}\n`);
  process.stdout.write(JSON.stringify(s.validation) + '\n');
}

function parseKinds(list: string): InjectionKind[] {
  const kinds = list.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(INJECTION_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`unknown synthetic kind ${unknown.join(', ')}: use ${INJECTION_KINDS.join(', ')}`);
  return kinds as InjectionKind[];
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
