#!/usr/bin/env node
import './early-interrupt'; // first: a signal during start-up must already exit 130
import { Command, InvalidArgumentError, Option } from 'commander';
import { isLlnError, ExitCode } from '../errors';
import { oneLine, setLogLevel } from '../logger';
import { VERSION } from '../version';
import { TRAINING_DEFAULTS } from '../train/recipe';
import { outputWriteError, writeStdout } from '../outputs/sync-output';

/** Subcommand modules are loaded lazily: `features` must not pay for loading TensorFlow. */
const program = new Command();

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}
function fraction(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number in [0, 1], got '${v}'`);
    return n;
  };
}
function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return n;
  };
}
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const backendOption = () => new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'node', 'wasm', 'cpu']).default('auto');

// Before any .command(): subcommands copy these settings, so their usage errors reach main() too,
// and print in the documented one-line form (commander's own is two lines and has no code).
program.exitOverride();
program.configureOutput({ outputError: (str, write) => write(usageLine(str)) });

program
  .name('lln-detect')
  .description('Self-hosted network anomaly sensor: capture, score with a CNN+BiLSTM+attention model, store alerts.')
  .version(VERSION)
  .option('--log-level <level>', 'error | warn | info | debug', 'info')
  // --quiet asks for silence: info lines (the tfjs backend, progress notes) go too, unless a level was given.
  .hook('preAction', (cmd, action) => setLogLevel(action.opts().quiet && cmd.getOptionValueSource('logLevel') === 'default' ? 'warn' : cmd.opts().logLevel));

program
  .command('features')
  .description('export one row per packet: decoded header fields and the model feature vector')
  .argument('<capture...>', 'pcap / pcapng files (.gz ok), "-" for standard input')
  .addOption(new Option('--format <fmt>', 'output format').choices(['csv', 'jsonl']).default('csv'))
  .option('--out <file>', 'write to FILE instead of standard output')
  .option('--limit <n>', 'stop after N packets', positiveInt('--limit'))
  .option('--raw', 'raw (unscaled) feature values')
  .option('--model <dir>', 'model directory whose scaler scales the features (default: shipped model)')
  .action(async (files: string[], opts) => {
    const { runFeatures } = await import('./features-command');
    await runFeatures(files, opts);
  });

program
  .command('replay')
  .description('score capture files and write anomalies (SQLite, CSV, JSON lines)')
  .argument('<capture...>', 'pcap / pcapng files (.gz ok), "-" for standard input')
  .option('--model <dir>', 'model directory (default: the shipped default model)')
  .option('--threshold <t>', 'anomaly threshold in [0,1] (default: the model calibrated one)', fraction('--threshold'))
  .option('--stride <s>', 'score a window every S packets (default: the model training stride)', positiveInt('--stride'))
  .option('--db <file>', 'SQLite database', 'anomalies.db')
  .option('--csv <file>', 'anomalies CSV', 'anomalies.csv')
  .option('--no-db', 'do not write SQLite')
  .option('--no-csv', 'do not write CSV')
  .option('--jsonl <file>', 'anomalies and incidents as JSON lines ("-" = stdout)')
  .option('--scores-csv <file>', 'every packet score: frame,timestamp,score')
  .option('--plot <file.svg>', 'score-over-time plot (SVG)')
  .option('--batch <n>', 'windows per inference batch (default: 1024 up to stride 16, else 8192 packets worth)', positiveInt('--batch'))
  .option('--no-worker', 'run inference on the main thread')
  .option('--quiet', 'no progress bar or summary table')
  .option('--pg <url>', 'then forward the --db file to PostgreSQL: postgresql://ROLE@HOST:5432/DB?sslmode=... (no password in it)')
  .option('--pg-password-file <file>', "the PostgreSQL role's password (default: PGPASSWORD)")
  .option('--sensor <id>', 'sensor id in PostgreSQL (default: the host name)')
  .addOption(backendOption())
  .action(async (files: string[], opts) => {
    // The model first: its worker loads tfjs and the model (~0.5 s) while this thread loads the
    // rest of replay (captures, outputs, SQLite), instead of after it.
    const { startReplayModel } = await import('../pipeline/replay-start');
    const started = startReplayModel(files, opts);
    const { runReplay } = await import('./replay-command');
    await runReplay(files, { ...opts, started });
  });

program
  .command('train')
  .description('train a model on your own captures (normal traffic; labels optional)')
  .requiredOption('--pcap-file <file>', 'training capture (repeatable)', collect)
  .option('--labels <file>', 'labels CSV: frame,label | start,end,label | host,label')
  .option('--epochs <n>', 'maximum epochs', positiveInt('--epochs'), TRAINING_DEFAULTS.epochs)
  .option('--batch-size <n>', 'windows per training batch', positiveInt('--batch-size'), TRAINING_DEFAULTS.batchSize)
  .option('--validation-split <f>', 'last fraction of the traffic held out for validation', fraction('--validation-split'), TRAINING_DEFAULTS.validationSplit)
  .option('--learning-rate <lr>', 'Adam learning rate', positiveNumber('--learning-rate'), TRAINING_DEFAULTS.learningRate)
  .option('--window <w>', 'packets per window', positiveInt('--window'), TRAINING_DEFAULTS.window)
  .option('--stride <s>', 'packets between scored windows at replay time', positiveInt('--stride'), TRAINING_DEFAULTS.stride)
  .option('--train-stride <s>', 'packets between training windows', positiveInt('--train-stride'), TRAINING_DEFAULTS.trainStride)
  .option('--patience <n>', 'early-stopping patience in epochs', positiveInt('--patience'), TRAINING_DEFAULTS.patience)
  .option('--average-epochs <n>', 'keep the mean of the weights of the n best epochs (1: the best epoch)', positiveInt('--average-epochs'), TRAINING_DEFAULTS.averageEpochs)
  .option('--target-fpr <f>', 'false-positive rate the threshold is calibrated to', fraction('--target-fpr'), TRAINING_DEFAULTS.targetFpr)
  .option('--no-synthetic', 'with --labels: do not add synthetic anomalies')
  .option('--synthetic-kinds <list>', 'comma-separated synthetic anomaly kinds (default: all but the opt-in ones; docs/training.md lists them)', (v: string) => v.split(',').map((k) => k.trim()).filter(Boolean))
  .option('--synthetic-copies <n>', 'independently seeded synthetic copies of the training traffic', positiveInt('--synthetic-copies'), TRAINING_DEFAULTS.syntheticCopies)
  .option('--decoy-rate <f>', 'share of anomaly-free segments that get an ordinary session labelled 0', fraction('--decoy-rate'), TRAINING_DEFAULTS.decoyRate)
  .option('--concurrent-decoy-rate <f>', 'share of segments with a synthetic anomaly that also get an ordinary session labelled 0, opening while it runs', fraction('--concurrent-decoy-rate'), TRAINING_DEFAULTS.concurrentDecoyRate)
  .option('--input-noise <std>', 'std of Gaussian noise added to scaled training inputs', (v: string) => Number(v), TRAINING_DEFAULTS.inputNoise)
  .option('--init-model [dir]', 'fine-tune this model (default: the shipped one) instead of starting from fresh weights')
  .option('--no-benign-variants', 'do not add benign novelty variants (renumbered peers, cold slices) of the training traffic')
  .option('--seed <n>', 'random seed', positiveInt('--seed'), TRAINING_DEFAULTS.seed)
  .option('--out <dir>', 'output model directory (default: models/<timestamp>)')
  .addOption(backendOption())
  .action(async (opts) => {
    const { runTrain } = await import('./train-command');
    await runTrain(opts);
  });

program
  .command('evaluate')
  .description('per-packet quality of a model against labels')
  .option('--model <dir>', 'model directory (default: the shipped default model)')
  .requiredOption('--pcap-file <file>', 'capture (repeatable)', collect)
  .requiredOption('--labels <file>', 'labels CSV: frame,label | start,end,label | host,label')
  .option('--threshold <t>', 'threshold (default: the model one)', fraction('--threshold'))
  .option('--json', 'machine-readable output')
  .addOption(backendOption())
  .action(async (opts) => {
    const { runEvaluate } = await import('./evaluate-command');
    await runEvaluate(opts);
  });

program
  .command('interfaces')
  .description('list capture interfaces')
  .action(async () => {
    const { formatInterfaces, listInterfaces } = await import('../capture/interfaces');
    writeStdout(formatInterfaces(listInterfaces()) + '\n');
  });

program
  .command('daemon')
  .description('run the sensor: live capture and spool folder, continuous scoring')
  .option('--config <file>', 'YAML config', '/etc/lln-detect/config.yaml')
  .action(async (opts) => {
    const { runDaemon } = await import('../daemon/daemon');
    await runDaemon(opts.config);
  });

program
  .command('install-service')
  .description('install the systemd unit, a system user and a default config (run as root)')
  .option('--dry-run', 'print what would be done')
  .action(async (opts) => {
    const { installService } = await import('../daemon/install-service');
    await installService(opts);
  });

const fleet = program.command('fleet').description('the central PostgreSQL of a fleet of sensors (README: A fleet of sensors)');
fleet
  .command('migrate')
  .description('create or upgrade the central schema (run as the database owner)')
  .requiredOption('--pg <url>', 'postgresql://OWNER@HOST:5432/DB?sslmode=... (no password in it)')
  .option('--pg-password-file <file>', "the role's password (default: PGPASSWORD)")
  .action(async (opts) => {
    const { runFleetMigrate } = await import('./fleet-command');
    await runFleetMigrate(opts);
  });
fleet
  .command('schema')
  .description('print the central schema as SQL, for a fresh database (lln-detect fleet schema | psql -1 DB)')
  .action(async () => {
    const { runFleetSchema } = await import('./fleet-command');
    runFleetSchema();
  });
fleet
  .command('grants')
  .argument('<role>', "the sensors' PostgreSQL role")
  .description('print the GRANT statements a sensor role needs (INSERT/SELECT; UPDATE only on growing run and incident columns)')
  .action(async (role: string) => {
    const { runFleetGrants } = await import('./fleet-command');
    runFleetGrants(role);
  });
fleet
  .command('retention')
  .description('drop (or --archive) anomalies, incidents and finished runs older than --days (run as the database owner)')
  .requiredOption('--pg <url>', 'postgresql://OWNER@HOST:5432/DB?sslmode=... (no password in it)')
  .option('--pg-password-file <file>', "the role's password (default: PGPASSWORD)")
  .requiredOption('--days <n>', 'keep this many days', positiveInt('--days'))
  .option('--archive', 'move the rows to anomalies_archive, incidents_archive, runs_archive instead of dropping them')
  .action(async (opts) => {
    const { runFleetRetention } = await import('./fleet-command');
    await runFleetRetention(opts);
  });
const stateDirOptions = (c: Command) =>
  c.option('--config <file>', 'daemon config (its stateDir)', '/etc/lln-detect/config.yaml').option('--state-dir <dir>', 'state directory (default: stateDir from the config)');

stateDirOptions(program.command('status').description("the sensor's lifecycle: state, model in use and its age, learning progress, next retrain, alerts in the last 24 h (no root needed)"))
  .action(async (opts) => {
    const { runStatus } = await import('./learn-commands');
    await runStatus(opts);
  });

stateDirOptions(program.command('learn').description('learning: train now on the spool (--now), or forget what was learned and learn again (--reset)'))
  .option('--now', 'train on the recent training spool now (the daemon must be running)')
  .option('--reset', 'start learning over: clear the spool, go back to the shipped model (own models stay in the store)')
  .action(async (opts) => {
    const { runLearn } = await import('./learn-commands');
    await runLearn(opts);
  });

const modelCmd = program.command('model').description("the sensor's own models (state directory models/)");
stateDirOptions(modelCmd.command('list').description('own models in the store, current and previous marked; damaged ones named'))
  .action(async (opts) => {
    const { runModelList } = await import('./learn-commands');
    await runModelList(opts);
  });
stateDirOptions(modelCmd.command('rollback').description('go back to the previous own model (the daemon swaps it in at once)'))
  .action(async (opts) => {
    const { runModelRollback } = await import('./learn-commands');
    await runModelRollback(opts);
  });

program
  .command('ui')
  .description('read-only web view of incidents and status (docs/ui.md): 127.0.0.1 only unless --token')
  .option('--db <file>', "a sensor's SQLite file (default: the daemon config's, else ./anomalies.db)")
  .option('--pg <url>', "the fleet's PostgreSQL instead: postgresql://ROLE@HOST:5432/DB?sslmode=... (no password in it)")
  .option('--pg-password-file <file>', "the role's password (default: PGPASSWORD)")
  .option('--listen <host:port>', 'address to serve on; any but loopback needs --token', '127.0.0.1:8089')
  .option('--token <t>', 'required from every browser, at least 16 characters (default: LLN_UI_TOKEN)')
  .option('--config <file>', "daemon config: its database and state directory", '/etc/lln-detect/config.yaml')
  .option('--state-dir <dir>', "the daemon's state directory, for the status page's lifecycle")
  .option('--model <dir>', "a model directory whose threshold.json promise the status page may show")
  .action(async (opts) => {
    const { runUi } = await import('./ui-command');
    await runUi(opts);
  });

const config = program.command('config').description('daemon configuration');
config
  .command('check')
  .argument('<file>')
  .description('validate a config file without starting: keys, interfaces, BPF filters, model directory')
  .action(async (file: string) => {
    const { runConfigCheck } = await import('./config-check-command');
    await runConfigCheck(file);
  });
config
  .command('example')
  .description('print a commented example config')
  .action(async () => {
    const { exampleConfig } = await import('../daemon/config-load');
    writeStdout(exampleConfig());
  });

/** commander's "error: unknown option '--x'\n(Did you mean --y?)\n" → one LLN_E_USAGE line, suggestion kept. */
export function usageLine(commanderText: string): string {
  const text = commanderText.replace(/^error:\s*/i, '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return `lln-detect: LLN_E_USAGE: ${text}\n`;
}

/**
 * Last resort for output that still goes through process.stdout (commander's help, progress
 * text): a full disk or a closed pipe on stdout is one line and exit 5, not an unhandled 'error'
 * event with a stack. Data outputs write synchronously and fail where they write.
 */
function guardStdStreams(): void {
  let reported = false;
  process.stdout.on('error', (e) => {
    if (reported) return;
    reported = true;
    const err = outputWriteError('-', e);
    process.stderr.write(`lln-detect: ${err.code}: ${err.message}\n`);
    process.exitCode = err.exitCode;
  });
  // Nowhere left to report a failing stderr: keep going, the exit code still tells.
  process.stderr.on('error', () => {});
}

async function main(): Promise<void> {
  guardStdStreams();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      // commander already printed its message (help, version, usage errors)
      process.exitCode = err.exitCode === 0 ? 0 : ExitCode.USAGE;
      return;
    }
    if (isLlnError(e)) {
      process.stderr.write(`lln-detect: ${e.code}: ${oneLine(e.message)}\n`); // one line, even quoting tfjs's multi-line errors
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`lln-detect: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}

void main();
