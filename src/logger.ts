import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import type winston from 'winston';

/**
 * One winston logger for the whole program, on stderr so stdout stays clean for data
 * (features, JSON lines). Human-readable on a TTY; JSON lines otherwise (journald, CI).
 *
 * Worker threads (the scoring worker loads TensorFlow.js and logs the backend it picked) do not
 * write anything themselves: their records go over a BroadcastChannel to the main thread's
 * logger, so --log-level, logging.format and logging.file apply to them as to every other line.
 *
 * One record is one line whatever it quotes: line breaks inside a message (tfjs's multi-line
 * errors, a broken file's text) are collapsed, and colour codes are written only to a terminal.
 *
 * winston itself loads at the first line written (or transport added), not at start: loading it
 * cost ~70 ms of CPU before any work, in the CLI's main thread (a quiet replay often writes no
 * line at all) and in the scoring worker (whose records only cross to the main thread).
 */
type LogFormat = 'json' | 'text';

/** \r\n, \n, \r and the Unicode line breaks (NEL, LS, PS) some readers also split on. */
const LINE_BREAKS = /[ \t]*(?:\r\n|[\n\r\u0085\u2028\u2029])\s*/g;

/** The text on one line: each line break (with the blanks around it) becomes one space. */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKS, ' ').trimEnd();
}

function defaultFormat(): LogFormat {
  if (process.env.LLN_LOG_FORMAT === 'json' || process.env.LLN_LOG_FORMAT === 'text') return process.env.LLN_LOG_FORMAT;
  return process.stderr.isTTY ? 'text' : 'json';
}

/** json: one object per line; text: `level: message` (a file gets a timestamp in front, a terminal colours). */
function formatFor(winston: Winston, f: LogFormat, dest: 'console' | 'file'): winston.Logform.Format {
  const singleLine = winston.format((info) => {
    for (const [k, v] of Object.entries(info)) if (typeof v === 'string') (info as Record<string, unknown>)[k] = oneLine(v);
    return info;
  });
  if (f === 'json') return winston.format.combine(singleLine(), winston.format.timestamp(), winston.format.json());
  if (dest === 'file') {
    return winston.format.combine(singleLine(), winston.format.timestamp(), winston.format.printf((i) => `${String(i.timestamp)} ${i.level}: ${String(i.message)}`));
  }
  return process.stderr.isTTY
    ? winston.format.combine(singleLine(), winston.format.colorize(), winston.format.simple())
    : winston.format.combine(singleLine(), winston.format.simple());
}

const ALL_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
const CHANNEL = 'lln-detect-log';

type Winston = typeof winston;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadWinston = (): Winston => require('winston') as Winston;

interface ForwardedRecord {
  level: string;
  message: string;
}

/** What the program asks of its logger (winston's names and meanings). */
export interface Logger {
  level: string;
  log(level: string, message: string): void;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  add(transport: winston.transport): Logger;
  remove(transport: winston.transport): Logger;
  clear(): Logger;
}

/**
 * The main thread's logger: until winston is needed it holds only the level, and drops the lines
 * below it (as the default console transport, which has no level of its own, would). The first
 * line at or above it, or any change of transports, creates the winston logger; from then on
 * everything goes to winston as it is (a transport may have a level of its own).
 */
class DeferredLogger implements Logger {
  private real: winston.Logger | null = null;
  private wanted = process.env.LLN_LOG_LEVEL ?? 'info';

  get level(): string { return this.real ? this.real.level : this.wanted; }
  set level(level: string) {
    if (this.real) this.real.level = level;
    else this.wanted = level;
  }
  log(level: string, message: string): void {
    if (this.real || this.enabled(level)) this.winston().log(level, message);
  }
  error(message: string): void { this.log('error', message); }
  warn(message: string): void { this.log('warn', message); }
  info(message: string): void { this.log('info', message); }
  debug(message: string): void { this.log('debug', message); }
  add(transport: winston.transport): Logger { this.winston().add(transport); return this; }
  remove(transport: winston.transport): Logger { this.winston().remove(transport); return this; }
  clear(): Logger { this.winston().clear(); return this; }

  /** Levels winston does not know are left to it (it reports them). */
  private enabled(level: string): boolean {
    const at = ALL_LEVELS.indexOf(level);
    const max = ALL_LEVELS.indexOf(this.wanted);
    return at < 0 || max < 0 || at <= max;
  }
  private winston(): winston.Logger {
    if (!this.real) {
      const w = loadWinston();
      this.real = w.createLogger({
        level: this.wanted,
        transports: [new w.transports.Console({ stderrLevels: ALL_LEVELS, format: formatFor(w, defaultFormat(), 'console') })],
      });
    }
    return this.real;
  }
}

/**
 * A worker thread's logger: every record to the main thread, which filters and writes it. No
 * transports of its own (the main thread's apply), and no winston.
 */
class WorkerLogger implements Logger {
  level = 'silly';
  private readonly channel = new BroadcastChannel(CHANNEL);
  constructor() {
    this.channel.unref();
  }
  log(level: string, message: string): void {
    const rec: ForwardedRecord = { level, message: String(message) };
    this.channel.postMessage(rec);
  }
  error(message: string): void { this.log('error', message); }
  warn(message: string): void { this.log('warn', message); }
  info(message: string): void { this.log('info', message); }
  debug(message: string): void { this.log('debug', message); }
  add(): Logger { throw new Error('a worker thread logs through the main thread: add transports there'); }
  remove(): Logger { throw new Error('a worker thread logs through the main thread'); }
  clear(): Logger { throw new Error('a worker thread logs through the main thread'); }
}

export const logger: Logger = isMainThread ? new DeferredLogger() : new WorkerLogger();

if (isMainThread) {
  const fromWorkers = new BroadcastChannel(CHANNEL);
  fromWorkers.unref(); // listening must not keep the process alive
  fromWorkers.onmessage = (e: unknown) => {
    const rec = (e as { data: ForwardedRecord }).data;
    if (rec && typeof rec.level === 'string' && ALL_LEVELS.includes(rec.level)) logger.log(rec.level, String(rec.message));
  };
}

export function setLogLevel(level: string): void {
  logger.level = level;
}

/** Daemon logging from its config: level, format, and an optional file (reopened on SIGUSR1). */
export function configureLogger(o: { level: string; format: LogFormat; file?: string }): void {
  const winston = loadWinston();
  logger.clear();
  logger.level = o.level;
  logger.add(new winston.transports.Console({ stderrLevels: ALL_LEVELS, format: formatFor(winston, o.format, 'console') }));
  if (o.file) logger.add(new winston.transports.File({ filename: o.file, format: formatFor(winston, o.format, 'file') }));
}
