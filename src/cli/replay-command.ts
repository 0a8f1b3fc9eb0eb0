import type { BackendPreference } from '../model/backend';
import { runReplay as replay } from '../pipeline/run-replay';
import { formatReplaySummary } from '../pipeline/replay-summary';
import { ExitCode } from '../errors';

interface ReplayCliOptions {
  model?: string;
  threshold?: number;
  stride?: number;
  db: string | false;
  csv: string | false;
  jsonl?: string;
  scoresCsv?: string;
  plot?: string;
  batch: number;
  worker: boolean;
  quiet?: boolean;
  backend: BackendPreference;
}

export async function runReplay(files: string[], opts: ReplayCliOptions): Promise<void> {
  const summary = await replay(files, opts);
  // With --jsonl - the data owns stdout; the summary goes to stderr.
  const out = opts.jsonl === '-' ? process.stderr : process.stdout;
  if (!opts.quiet) out.write(formatReplaySummary(summary));
  if (summary.run.status === 'interrupted') process.exitCode = ExitCode.INTERRUPTED;
}
