import winston from 'winston';

/**
 * One winston logger for the whole program, on stderr so stdout stays clean for data
 * (features, JSON lines). Human-readable on a TTY; JSON lines otherwise (journald, CI).
 */
type LogFormat = 'json' | 'text';

function defaultFormat(): LogFormat {
  if (process.env.LLN_LOG_FORMAT === 'json' || process.env.LLN_LOG_FORMAT === 'text') return process.env.LLN_LOG_FORMAT;
  return process.stderr.isTTY ? 'text' : 'json';
}

function formatFor(f: LogFormat): winston.Logform.Format {
  return f === 'json'
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(winston.format.colorize(), winston.format.simple());
}

const ALL_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

export const logger = winston.createLogger({
  level: process.env.LLN_LOG_LEVEL ?? 'info',
  format: formatFor(defaultFormat()),
  transports: [new winston.transports.Console({ stderrLevels: ALL_LEVELS })],
});

export function setLogLevel(level: string): void {
  logger.level = level;
}

/** Daemon logging from its config: level, format, and an optional file (reopened on SIGUSR1). */
export function configureLogger(o: { level: string; format: LogFormat; file?: string }): void {
  logger.clear();
  logger.level = o.level;
  logger.format = formatFor(o.format);
  logger.add(new winston.transports.Console({ stderrLevels: ALL_LEVELS }));
  if (o.file) logger.add(new winston.transports.File({ filename: o.file, format: formatFor('json') }));
}
