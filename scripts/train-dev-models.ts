/**
 * `node dist/scripts/train-dev-models.js [--force] [--nets a,b] [--seeds 1,7,8]`: trains the
 * default recipe (no labels) on each development network's train-benign.pcap with each seed, into
 * samples/generated/quality/NET-seedS (skipping models already there unless --force), and prints
 * each training's time. `npm run quality` and the scoring experiments read these models.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runTraining } from '../src/train/run-training';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { DEV_SEEDS, availableNetworks, userModelDir } from './dev-networks';

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const nets = availableNetworks().filter((n) => !arg('--nets') || arg('--nets')!.split(',').includes(n.name));
  const seeds = arg('--seeds')?.split(',').map(Number) ?? DEV_SEEDS;
  if (nets.length === 0) {
    process.stdout.write('no development network found beside the checkout (../shared/realdata, ../shared/realdata-b): nothing to train\n');
    return;
  }
  for (const net of nets) {
    for (const seed of seeds) {
      const out = userModelDir(net, seed);
      if (existsSync(path.join(out, 'model.json')) && !process.argv.includes('--force')) {
        process.stdout.write(`${net.name} seed ${seed}: kept ${out}\n`);
        continue;
      }
      rmSync(out, { recursive: true, force: true });
      const t0 = Date.now();
      const r = await runTraining({ ...TRAINING_DEFAULTS, files: [path.join(net.dir, 'train-benign.pcap')], synthetic: true, out, backend: 'auto', seed, progress: false });
      process.stdout.write(`${net.name} seed ${seed}: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${r.epochs} epochs, threshold ${r.threshold.toFixed(4)}\n`);
    }
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
