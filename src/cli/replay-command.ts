import { runReplay as replay, type ReplayOptions } from '../pipeline/run-replay';
import { formatReplaySummary } from '../pipeline/replay-summary';
import { writeStdout } from '../outputs/sync-output';
import { ExitCode } from '../errors';
import { checkModelOption } from './model-option';

export async function runReplay(files: string[], opts: ReplayOptions): Promise<void> {
  if (opts.model) checkModelOption(opts.model);
  const summary = await replay(files, opts);
  if (summary.run.status === 'interrupted') process.exitCode = ExitCode.INTERRUPTED;
  if (opts.quiet) return;
  // With --jsonl - the data owns stdout; the summary goes to stderr. Everything is committed by
  // now: a stdout that cannot take the summary (full disk, closed pipe) is one line and exit 5.
  if (opts.jsonl === '-') process.stderr.write(formatReplaySummary(summary));
  else writeStdout(formatReplaySummary(summary));
}
