import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { statusText, type StatusConfig } from '../cli/learn-commands';
import { loadConfig } from '../daemon/config-load';
import { formatForwardStatus, readForwardStatus } from '../fleet/forward-status';
import { learningEnabled } from '../learn/learner';
import { promiseLine, type FalseIncidents } from '../model/false-incidents';
import { modelDirSha256 } from '../model/model-dir';
import { DEFAULT_MODEL_DIR } from '../paths';
import type { RunRow } from './alert-source';

/**
 * What the status page shows besides the runs: the lifecycle exactly as `lln-detect status`
 * prints it (the same function, so the two never disagree), the fleet forwarder's section, and
 * each run's model with the false-incident rate its training promised (threshold.json).
 */
export interface StatusContext {
  /** The daemon's state directory, when the database shown is that daemon's. */
  stateDir?: string;
  /** The daemon config naming it (learning on or off changes what status says). */
  config?: string;
  /** The local SQLite file, for the forwarder's section (none for the fleet's PostgreSQL). */
  dbPath?: string;
  /** Model directories whose threshold.json may hold a run's promise (--model, the shipped one, the state dir's own models). */
  modelDirs: string[];
}

export interface Lifecycle {
  rows: Array<[string, string]>;
  /** Why there are no rows: no state dir given, or it cannot be read. */
  note?: string;
}

/** `lln-detect status`'s text as key/value rows: "key:   value" (keys never hold a colon; values often do). */
export function lifecycle(ctx: StatusContext): Lifecycle {
  if (!ctx.stateDir && !ctx.dbPath) return { rows: [], note: 'the fleet\'s database: each sensor\'s lifecycle is on that sensor (lln-detect status there); its runs, models and capture counters are below' };
  if (!ctx.stateDir) return { rows: [], note: 'no state directory: this database is not a running daemon\'s (give --state-dir DIR, or --config FILE of the daemon, to show its lifecycle)' };
  try {
    const text = statusText(ctx.stateDir, Date.now(), statusConfig(ctx));
    const rows: Array<[string, string]> = [];
    for (const line of text.split('\n')) {
      const m = /^([^:]+):\s+(.*)$/.exec(line);
      if (m) rows.push([m[1], m[2]]);
      else if (line.trim()) rows.push(['', line.trim()]);
    }
    return { rows };
  } catch (e) {
    return { rows: [], note: `cannot read the state directory ${ctx.stateDir} (${(e as Error).message}); run as root or the lln-detect user` };
  }
}

/** As `lln-detect status` decides it: a config that turns learning off runs a fixed model. */
function statusConfig(ctx: StatusContext): StatusConfig {
  if (!ctx.config || !existsSync(ctx.config)) return {};
  try {
    const cfg = loadConfig(ctx.config);
    if (path.resolve(cfg.stateDir) !== path.resolve(ctx.stateDir!) || learningEnabled(cfg)) return {};
    return { fixedModel: { dir: cfg.model.dir ?? DEFAULT_MODEL_DIR, configured: cfg.model.dir !== undefined } };
  } catch {
    return {};
  }
}

export function forwardSection(ctx: StatusContext): string | null {
  if (!ctx.dbPath) return null;
  try {
    const f = readForwardStatus(ctx.dbPath);
    return f.configured ? formatForwardStatus(f) : null; // a file never forwarded: nothing to say
  } catch (e) {
    return `forwarding to PostgreSQL: cannot read ${ctx.dbPath} (${(e as Error).message})`;
  }
}

/** Model directories the status page may find a run's model in, found once (hashing weights is not free). */
export function candidateModelDirs(ctx: Pick<StatusContext, 'stateDir'>, extra: string[]): string[] {
  const dirs = [...extra, DEFAULT_MODEL_DIR];
  if (ctx.stateDir) {
    const store = path.join(ctx.stateDir, 'models');
    try {
      for (const d of readdirSync(store)) dirs.push(path.join(store, d));
    } catch {
      /* no own models yet, or not readable: the runs show their model id without a promise */
    }
  }
  return dirs;
}

export class ModelPromises {
  private readonly bySha = new Map<string, string>();
  private indexed = false;

  constructor(private readonly dirs: string[]) {}

  /** The promise line of the run's model, or why there is none. */
  promiseOf(run: RunRow): string {
    this.index();
    const dir = this.bySha.get(run.modelSha256);
    if (!dir) return 'model directory not found here (the promise is in its threshold.json)';
    try {
      const t = JSON.parse(readFileSync(path.join(dir, 'threshold.json'), 'utf8')) as { value?: number; falseIncidents?: FalseIncidents };
      if (t.falseIncidents && typeof t.value === 'number') return promiseLine(t.value, t.falseIncidents);
      return `trained before training measured false incidents (${dir}/threshold.json has none)`;
    } catch (e) {
      return `cannot read ${dir}/threshold.json (${(e as Error).message})`;
    }
  }

  private index(): void {
    if (this.indexed) return;
    this.indexed = true;
    for (const d of this.dirs) {
      try {
        const sha = modelDirSha256(d);
        if (!this.bySha.has(sha)) this.bySha.set(sha, d);
      } catch {
        /* not a model directory */
      }
    }
  }
}

/** Packets per second over the run's wall-clock time (a running run: until now). */
export function captureRate(run: RunRow, now = Date.now()): number | null {
  const start = Date.parse(run.startedAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  const s = (end - start) / 1000;
  return Number.isFinite(s) && s > 0 ? run.packets / s : null;
}

/** Packets lost to the capture path, as a share of what libpcap received (daemon runs only). */
export function captureLoss(run: RunRow): { lost: number; share: number } | null {
  if (run.pcapReceived === null) return null;
  const lost = (run.pcapDropped ?? 0) + (run.pcapIfdropped ?? 0) + (run.queueDropped ?? 0);
  return { lost, share: run.pcapReceived > 0 ? lost / run.pcapReceived : 0 };
}
