/**
 * Imported first by main.ts, before anything slow loads: from here on SIGINT/SIGTERM end the
 * program with the documented 130, never the shell's 143. A command with work to commit
 * (replay, features, daemon, train) installs its own listener; this one then steps aside and
 * that command stops cleanly and sets 130 itself. Until then nothing has been written, so exiting
 * at once loses nothing.
 */
const INTERRUPTED = 130;

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // a command's own handler takes care of it
  // An error was already reported and the process is on its way out: keep its line and code.
  const pending = process.exitCode;
  if (pending !== undefined && pending !== null && pending !== 0) process.exit(pending);
  try {
    process.stderr.write(`lln-detect: interrupted by ${signal}\n`);
  } catch {
    /* stderr closed: the exit code still tells */
  }
  process.exit(INTERRUPTED);
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
