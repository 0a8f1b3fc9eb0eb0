import { Writable } from 'node:stream';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import winston from 'winston';

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
 */
type LogFormat = 'json' | 'text';

/** \r\n, \n, \r and the Unicode line breaks (NEL, LS, PS) some readers also split on. */
const LINE_BREAKS = /[ \t]*(?:\r\n|[\n\r\u0085\u2028\u2029])\s*/g;

/** The text on one line: each line break (with the blanks around it) becomes one space. */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKS, ' ').trimEnd();
}

const singleLine = winston.format((info) => {
  for (const [k, v] of Object.entries(info)) if (typeof v === 'string') (info as Record<string, unknown>)[k] = oneLine(v);
  return info;
});

function defaultFormat(): LogFormat {
  if (process.env.LLN_LOG_FORMAT === 'json' || process.env.LLN_LOG_FORMAT === 'text') return process.env.LLN_LOG_FORMAT;
  return process.stderr.isTTY ? 'text' : 'json';
}

/** json: one object per line; text: `level: message` (a file gets a timestamp in front, a terminal colours). */
function formatFor(f: LogFormat, dest: 'console' | 'file'): winston.Logform.Format {
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

interface ForwardedRecord {
  level: string;
  message: string;
}

/** A worker thread's only transport: every record to the main thread, which filters and writes it. */
function toMainThread(): winston.transport {
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: unknown }, _enc, done) {
      const rec: ForwardedRecord = { level: info.level, message: String(info.message) };
      channel.postMessage(rec);
      done();
    },
  });
  return new winston.transports.Stream({ stream, level: 'silly' });
}

export const logger = isMainThread
  ? winston.createLogger({
      level: process.env.LLN_LOG_LEVEL ?? 'info',
      transports: [new winston.transports.Console({ stderrLevels: ALL_LEVELS, format: formatFor(defaultFormat(), 'console') })],
    })
  : winston.createLogger({ level: 'silly', transports: [toMainThread()] });

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
  logger.clear();
  logger.level = o.level;
  logger.add(new winston.transports.Console({ stderrLevels: ALL_LEVELS, format: formatFor(o.format, 'console') }));
  if (o.file) logger.add(new winston.transports.File({ filename: o.file, format: formatFor(o.format, 'file') }));
}
