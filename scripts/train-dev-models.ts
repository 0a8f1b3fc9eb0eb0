/**
 * `node dist/scripts/train-dev-models.js [--force] [--nets a,b] [--seeds 1,7,8] [--variant NAME --recipe JSON]`: trains the
 * default recipe (no labels) on each development network's train-benign.pcap with each seed, into
 * samples/generated/quality/NET-seedS (skipping models already there unless --force), and prints
 * each training's time. `npm run quality` and the scoring experiments read these models.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runTraining, type TrainingOptions } from '../src/train/run-training';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { devArgs, userModelDir, type DevNetwork } from './dev-networks';

/** The user-trained model of `net` with `seed`, trained now unless it is cached (or `force`); the seconds it took, 0 when cached. */
export async function ensureDevModel(net: DevNetwork, seed: number, force = false, variant = '', overrides: Partial<TrainingOptions> = {}): Promise<{ dir: string; seconds: number; epochs: number | null }> {
  const out = userModelDir(net, seed, variant);
  if (existsSync(path.join(out, 'model.json')) && !force) return { dir: out, seconds: 0, epochs: null };
  rmSync(out, { recursive: true, force: true });
  const t0 = Date.now();
  const r = await runTraining({ ...TRAINING_DEFAULTS, files: [path.join(net.dir, 'train-benign.pcap')], synthetic: true, out, backend: 'auto', seed, progress: false, ...overrides });
  return { dir: out, seconds: (Date.now() - t0) / 1000, epochs: r.epochs };
}

async function main(): Promise<void> {
  const { nets, seeds, variant, arg } = devArgs();
  if (nets.length === 0) {
    process.stdout.write('no development network found beside the checkout (../shared/realdata, ../shared/realdata-b): nothing to train\n');
    return;
  }
  for (const net of nets) {
    for (const seed of seeds) {
      // --variant NAME --recipe '{"averageEpochs":5}': a recipe change under study, in its own folder.
      const r = await ensureDevModel(net, seed, process.argv.includes('--force'), variant, JSON.parse(arg('--recipe') ?? '{}') as Partial<TrainingOptions>);
      process.stdout.write(r.seconds === 0 ? `${net.name} seed ${seed}: kept ${r.dir}\n` : `${net.name} seed ${seed}: ${r.seconds.toFixed(0)} s, ${r.epochs} epochs\n`);
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
