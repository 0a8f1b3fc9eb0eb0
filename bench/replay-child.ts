/**
 * Runs the CLI (argv[2] = main.js, rest = its arguments) in this process and prints one JSON
 * line with wall seconds and this process's peak RSS, for bench/replay-bench.ts.
 */
const started = process.hrtime.bigint();
process.on('exit', () => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`\n${JSON.stringify({ seconds, maxRssKb: process.resourceUsage().maxRSS, exitCode: process.exitCode ?? 0 })}\n`);
});
const [, , cli, ...args] = process.argv;
process.argv = [process.argv[0], cli, ...args];
require(cli);
