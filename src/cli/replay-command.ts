import { runReplay as replay, type ReplayOptions } from '../pipeline/run-replay';
import { formatReplaySummary } from '../pipeline/replay-summary';
import { ExitCode } from '../errors';


export async function runReplay(files: string[], opts: ReplayOptions): Promise<void> {
  const summary = await replay(files, opts);
  // With --jsonl - the data owns stdout; the summary goes to stderr.
  const out = opts.jsonl === '-' ? process.stderr : process.stdout;
  if (!opts.quiet) out.write(formatReplaySummary(summary));
  if (summary.run.status === 'interrupted') process.exitCode = ExitCode.INTERRUPTED;
}
