import { runReplay as replay, type ReplayOptions } from '../pipeline/run-replay';
import { formatReplaySummary } from '../pipeline/replay-summary';
import { writeStdout } from '../outputs/sync-output';
import { ExitCode, LlnError } from '../errors';
import type { PgTarget } from '../fleet/pg-target';
import { logger } from '../logger';
import { checkModelOption } from './model-option';

export interface ReplayCommandOptions extends ReplayOptions {
  pg?: string;
  pgPasswordFile?: string;
  sensor?: string;
}

export async function runReplay(files: string[], opts: ReplayCommandOptions): Promise<void> {
  let target: PgTarget | null;
  try {
    if (opts.model) checkModelOption(opts.model);
    target = opts.pg ? await replayTarget(opts) : null;
  } catch (e) {
    await opts.started?.close(); // replay() closes it on every path; here it never ran
    throw e;
  }
  const summary = await replay(files, opts);
  if (summary.run.status === 'interrupted') process.exitCode = ExitCode.INTERRUPTED;
  const out = (text: string) => (opts.jsonl === '-' ? process.stderr.write(text) : writeStdout(text));
  // With --jsonl - the data owns stdout; the summary goes to stderr. Everything is committed by
  // now: a stdout that cannot take the summary (full disk, closed pipe) is one line and exit 5.
  if (!opts.quiet) out(formatReplaySummary(summary));
  if (target && opts.db) await forwardAfterReplay(opts.db, target, opts.quiet ? null : out);
}

/** --pg is checked before any work: a bad URL or a missing password file is a usage error, not a late surprise. */
async function replayTarget(opts: ReplayCommandOptions): Promise<PgTarget> {
  // The fleet modules (pg and its protocol stack: ~50 ms) load only for --pg, not for every replay.
  const { pgTarget } = await import('../fleet/pg-target');
  const { forwardedSensor } = await import('../fleet/forward-store');
  if (!opts.db) throw new LlnError('LLN_E_USAGE', '--pg forwards from the SQLite file: drop --no-db');
  let target: PgTarget;
  try {
    target = pgTarget({ url: opts.pg!, passwordFile: opts.pgPasswordFile, sensor: opts.sensor, where: '--pg' });
  } catch (e) {
    throw new LlnError('LLN_E_USAGE', (e as Error).message);
  }
  const claimed = forwardedSensor(opts.db);
  if (claimed !== null && claimed !== target.sensor) {
    throw new LlnError('LLN_E_USAGE', `${opts.db} is forwarded as sensor '${claimed}', not '${target.sensor}'; pass --sensor ${claimed}, or give this sensor its own --db file`);
  }
  return target;
}

/**
 * Everything in the file not yet in PostgreSQL (this run, and whatever earlier runs left
 * pending), until caught up or the first failure. A failure leaves the rows in the file: the next
 * `replay --pg` or a daemon forwarding the same file sends them.
 */
async function forwardAfterReplay(db: string, target: PgTarget, out: ((text: string) => void) | null): Promise<void> {
  const { Forwarder } = await import('../fleet/forwarder');
  const f = new Forwarder({ db, target, retryMaxMs: 1000, logFailures: false });
  const p = await f.drain();
  if (p.error) {
    throw new LlnError('LLN_E_PG', `${p.error.message.replace(/ \(alerts wait in the local SQLite file\)$/, '')}; ${p.pending} rows wait in ${db} and are sent by the next replay --pg or the daemon`);
  }
  const line = `forwarded ${p.forwarded} rows to PostgreSQL ${target.label} as sensor ${target.sensor}; ${p.pending} pending`;
  if (out) out(line + '\n');
  else logger.info(line);
}
