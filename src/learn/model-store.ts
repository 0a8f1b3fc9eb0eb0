import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-files';

/**
 * The sensor's own models, versioned in `<stateDir>/models/<UTC time>-<12 hex of sha256>/`.
 * A training writes into `models/.incoming-*` and the directory gets its final name by one
 * rename only once it is complete and passed its check: a name in the store is a finished model.
 * Nothing here loads TensorFlow: `lln-detect status` and `model list` stay fast and rootless.
 */
const NAME_RE = /^\d{8}T\d{6}Z-[0-9a-f]{12}$/;
const FILES = ['model.json', 'weights.bin', 'scaler.json', 'features.json', 'threshold.json'];
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

export interface StoredModel {
  name: string;
  dir: string;
  createdAt: string;
  threshold: number;
  /** From training-report.json: packets trained on and the check's result, when present. */
  packets: number | null;
  check: { fpr: number; maxFpr: number; packets: number } | null;
}

export function storeDir(stateDir: string): string {
  return path.join(stateDir, 'models');
}

/** Why a model directory cannot be served, or null when it looks complete (files, JSON, weight bytes). */
export function modelDirProblem(dir: string): string | null {
  for (const f of FILES) if (!existsSync(path.join(dir, f))) return `missing ${f}`;
  try {
    const mj = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest?: { weights: { shape: number[]; dtype?: string }[] }[] };
    let want = 0;
    for (const g of mj.weightsManifest ?? []) for (const w of g.weights) want += w.shape.reduce((a, b) => a * b, 1) * (BYTES[w.dtype ?? 'float32'] ?? 4);
    const got = statSync(path.join(dir, 'weights.bin')).size;
    if (got !== want) return `weights.bin has ${got} bytes, model.json describes ${want}`;
    for (const f of ['scaler.json', 'features.json', 'threshold.json']) JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    const t = JSON.parse(readFileSync(path.join(dir, 'threshold.json'), 'utf8')) as { value?: unknown };
    if (typeof t.value !== 'number') return 'threshold.json has no numeric value';
    if (!(t.value >= 0 && t.value <= 1)) return `threshold.json has value ${t.value}, outside [0, 1]`;
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
  return null;
}

function describe(name: string, dir: string): StoredModel {
  const t = JSON.parse(readFileSync(path.join(dir, 'threshold.json'), 'utf8')) as { value: number };
  let packets: number | null = null, check: StoredModel['check'] = null;
  try {
    const r = JSON.parse(readFileSync(path.join(dir, 'training-report.json'), 'utf8')) as { packets?: number; sensorCheck?: StoredModel['check'] };
    packets = r.packets ?? null;
    check = r.sensorCheck ?? null;
  } catch {
    /* a report is informative only */
  }
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name)!;
  return { name, dir, createdAt: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`, threshold: t.value, packets, check };
}

/**
 * Every usable model in the store, oldest first. A damaged directory is skipped and reported
 * through `onSkip` (the daemon logs it; `model list` prints it).
 */
export function listModels(stateDir: string, onSkip: (name: string, why: string) => void = () => {}): StoredModel[] {
  const root = storeDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: StoredModel[] = [];
  for (const name of names.sort()) {
    if (!NAME_RE.test(name)) continue;
    const dir = path.join(root, name);
    const why = modelDirProblem(dir);
    if (why) {
      onSkip(name, why);
      continue;
    }
    out.push(describe(name, dir));
  }
  return out;
}

/** A usable stored model by name, or the reason it is not. */
export function findModel(stateDir: string, name: string): { model: StoredModel } | { problem: string } {
  const dir = path.join(storeDir(stateDir), name);
  if (!NAME_RE.test(name) || !existsSync(dir)) return { problem: 'not in the model store' };
  const why = modelDirProblem(dir);
  return why ? { problem: why } : { model: describe(name, dir) };
}

/** A fresh `.incoming-*` directory name for a training to write into. */
export function incomingDir(stateDir: string): string {
  return path.join(storeDir(stateDir), `.incoming-${Date.now()}-${process.pid}`);
}

/** Remove what interrupted trainings left (never a finished model). */
export function removeIncoming(stateDir: string): number {
  const root = storeDir(stateDir);
  let n = 0;
  try {
    for (const name of readdirSync(root)) {
      if (name.startsWith('.incoming-')) {
        rmSync(path.join(root, name), { recursive: true, force: true });
        n++;
      }
    }
  } catch {
    /* no store yet */
  }
  return n;
}

/** Give a finished, checked model its final name (one rename); returns the name. */
export function commitModel(stateDir: string, incoming: string, at = new Date()): string {
  const h = createHash('sha256');
  h.update(readFileSync(path.join(incoming, 'model.json')));
  h.update(readFileSync(path.join(incoming, 'weights.bin')));
  const name = `${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${h.digest('hex').slice(0, 12)}`;
  const dir = path.join(storeDir(stateDir), name);
  // Owner-only, as the whole state directory (the training child's umask already made them so).
  chmodSync(incoming, PRIVATE_DIR_MODE);
  for (const f of readdirSync(incoming)) chmodSync(path.join(incoming, f), PRIVATE_FILE_MODE);
  renameSync(incoming, dir);
  return name;
}

/** Keep the newest `keep` models plus those named in `pinned`; remove the rest. */
export function pruneModels(stateDir: string, keep: number, pinned: (string | null)[]): void {
  const all = listModels(stateDir);
  const drop = all.slice(0, Math.max(0, all.length - keep)).filter((m) => !pinned.includes(m.name));
  for (const m of drop) rmSync(m.dir, { recursive: true, force: true });
}
