import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { logger } from '../logger';
import { makePrivateDir, writePrivateFile } from '../private-files';

/**
 * Watches a spool directory for finished capture files and hands each to `onFile` exactly once.
 *
 * Polls instead of fs.watch: fs.watch reports a file while it is still being written (and not at
 * all on some network filesystems); a file counts as finished only when its size and mtime have
 * not changed for `settleSeconds`. The names (with size and mtime, so a new file reusing a name is
 * seen as new) of processed files live in `stateFile`, so a restart does not process them again.
 * Files are handled one at a time, oldest first. Dot-files are ignored (writers' temp files).
 */
export interface SpoolWatcherOptions {
  dir: string;
  /** Move processed files here (created if missing); leave them in place when unset. */
  processedDir?: string;
  settleSeconds: number;
  /** JSON file remembering processed files across restarts. */
  stateFile: string;
  /** Poll interval (default 1000 ms, never more than the settle time). */
  pollMs?: number;
  /** Milliseconds now (default Date.now): tests drive the settle time with their own clock. */
  clock?: () => number;
}

const CAPTURE_FILE = /\.(pcap|pcapng|cap)(\.gz)?$/i;

interface Seen {
  size: number;
  mtimeMs: number;
  stableSince: number;
}

type ProcessedState = Record<string, { size: number; mtimeMs: number }>;

/** How handling a file ended: 'interrupted' (shutdown mid-file) leaves it to be handled again. */
export type SpoolOutcome = 'done' | 'interrupted';
export type SpoolHandler = (filePath: string) => Promise<SpoolOutcome>;

export class SpoolWatcher {
  private readonly opts: SpoolWatcherOptions;
  private readonly pollMs: number;
  private readonly seen = new Map<string, Seen>();
  private processed: ProcessedState;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(opts: SpoolWatcherOptions) {
    this.opts = opts;
    this.pollMs = Math.max(10, Math.min(opts.pollMs ?? 1000, Math.max(10, opts.settleSeconds * 1000)));
    this.processed = this.loadState();
  }

  start(onFile: SpoolHandler): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.opts.processedDir) mkdirSync(this.opts.processedDir, { recursive: true });
    const tick = (): void => {
      this.running = this.poll(onFile, () => this.stopped)
        .catch((e: Error) => {
          logger.warn(`spool ${this.opts.dir}: ${e.message}`);
        })
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    tick();
  }

  /** Stop polling; resolves once the file being processed (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /**
   * One look at the folder: hand every settled file to `onFile`. start() calls it on a timer;
   * tests call it directly, with their own clock, instead of sleeping against the settle time.
   * `shouldStop` is asked before each file.
   */
  async poll(onFile: SpoolHandler, shouldStop: () => boolean = () => false): Promise<void> {
    const now = (this.opts.clock ?? Date.now)();
    const ready: Array<{ name: string; size: number; mtimeMs: number }> = [];
    const present = new Set<string>();
    for (const name of readdirSync(this.opts.dir)) {
      if (name.startsWith('.') || !CAPTURE_FILE.test(name)) continue;
      let st;
      try {
        st = statSync(path.join(this.opts.dir, name));
      } catch {
        continue; // removed between readdir and stat
      }
      if (!st.isFile()) continue;
      present.add(name);
      const done = this.processed[name];
      if (done && done.size === st.size && done.mtimeMs === st.mtimeMs) continue;
      const prev = this.seen.get(name);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        this.seen.set(name, { size: st.size, mtimeMs: st.mtimeMs, stableSince: now });
        if (this.opts.settleSeconds > 0) continue; // changed just now: not settled yet
      }
      const s = this.seen.get(name)!;
      if (now - s.stableSince >= this.opts.settleSeconds * 1000) ready.push({ name, size: st.size, mtimeMs: st.mtimeMs });
    }
    // Forget what is gone, so neither map grows without bound.
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    let pruned = false;
    for (const name of Object.keys(this.processed)) {
      if (!present.has(name)) {
        delete this.processed[name];
        pruned = true;
      }
    }
    if (pruned) this.saveState();

    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    for (const f of ready) {
      if (shouldStop()) break;
      const full = path.join(this.opts.dir, f.name);
      let outcome: SpoolOutcome = 'done';
      try {
        outcome = await onFile(full);
      } catch (e) {
        // A bad file is reported and not retried: retrying a corrupt capture forever helps no one.
        logger.warn(`spool: ${full}: ${(e as Error).message}`);
      }
      if (outcome === 'interrupted') {
        // Shutdown in the middle of the file: not recorded, so the next start scores all of it.
        logger.info(`spool: ${full} was interrupted; it is scored again, from its start, at the next start`);
        break;
      }
      this.seen.delete(f.name);
      // Recorded before the move: a crash in between leaves the file in place but never scores it twice.
      this.processed[f.name] = { size: f.size, mtimeMs: f.mtimeMs };
      this.saveState();
      if (this.opts.processedDir) this.moveToProcessed(full, f.name);
    }
  }

  private moveToProcessed(full: string, name: string): void {
    const dest = uniqueDest(this.opts.processedDir!, name);
    try {
      renameSync(full, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') {
        logger.warn(`spool: cannot move ${full} to ${dest}: ${(e as Error).message}; leaving it in place`);
        return;
      }
      copyFileSync(full, dest); // processedDir on another filesystem
      unlinkSync(full);
    }
  }

  private loadState(): ProcessedState {
    try {
      const raw = JSON.parse(readFileSync(this.opts.stateFile, 'utf8')) as { processed?: ProcessedState };
      return raw.processed ?? {};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn(`spool: state file ${this.opts.stateFile} unreadable (${(e as Error).message}); starting empty`);
      return {};
    }
  }

  private saveState(): void {
    // Write-then-rename: a crash mid-write never leaves a half state file.
    makePrivateDir(path.dirname(this.opts.stateFile));
    const tmp = `${this.opts.stateFile}.tmp`;
    writePrivateFile(tmp, JSON.stringify({ processed: this.processed }));
    renameSync(tmp, this.opts.stateFile);
  }
}

function uniqueDest(dir: string, name: string): string {
  let dest = path.join(dir, name);
  for (let i = 1; existsSync(dest); i++) dest = path.join(dir, `${name}.${i}`);
  return dest;
}
