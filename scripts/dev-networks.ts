/**
 * The development networks every detection change is judged on (issue: alerts that hold on a
 * network the recipe was never tuned on), the seeds, and where their user-trained models and
 * saved scores are cached between runs (samples/generated/quality, git-ignored).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';

export interface DevNetwork {
  /** Folder name under ../shared, also the name in tables. */
  name: string;
  dir: string;
  /** Held-out benign time in every mix, in days (each README's timeline): false incidents per 24 h. */
  heldOutDays: number;
}

export const DEV_NETWORKS: DevNetwork[] = [
  // realdata: the held-out benign part of every mix spans exactly 24 h (realdata/SOURCES.md).
  { name: 'realdata', dir: path.join(PACKAGE_ROOT, '..', 'shared', 'realdata'), heldOutDays: 1 },
  // realdata-b: the held-out session is 21 s of a dense SCADA LAN (realdata-b/README.md).
  { name: 'realdata-b', dir: path.join(PACKAGE_ROOT, '..', 'shared', 'realdata-b'), heldOutDays: 21 / 86400 },
];

/** The seeds of every measurement (1 is `train`'s default). */
export const DEV_SEEDS = [1, 7, 8];

export const QUALITY_CACHE = path.join(PACKAGE_ROOT, 'samples', 'generated', 'quality');

export function availableNetworks(): DevNetwork[] {
  return DEV_NETWORKS.filter((n) => existsSync(path.join(n.dir, 'train-benign.pcap')));
}

/** `variant`: a recipe change under study (its models are kept apart from the default recipe's). */
export function userModelDir(net: DevNetwork, seed: number, variant = ''): string {
  return variant ? path.join(QUALITY_CACHE, variant, `${net.name}-seed${seed}`) : path.join(QUALITY_CACHE, `${net.name}-seed${seed}`);
}

/** The experiment scripts' common arguments: --nets a,b (default: all beside the checkout), --seeds 1,7,8, --variant NAME; `arg` reads any other. */
export function devArgs(argv = process.argv): { nets: DevNetwork[]; seeds: number[]; variant: string; arg: (name: string) => string | undefined } {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i > 0 ? argv[i + 1] : undefined;
  };
  const nets = availableNetworks().filter((n) => !arg('--nets') || arg('--nets')!.split(',').includes(n.name));
  return { nets, seeds: arg('--seeds')?.split(',').map(Number) ?? DEV_SEEDS, variant: arg('--variant') ?? '', arg };
}
