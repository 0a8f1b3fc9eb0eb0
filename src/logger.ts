import winston from 'winston';

/**
 * One winston logger for the whole program. Human-readable on a TTY; JSON lines otherwise
 * (journald, CI). Logs go to stderr so stdout stays clean for data (features, JSON).
 */
const wantJson = process.env.LLN_LOG_FORMAT === 'json' || (!process.stderr.isTTY && process.env.LLN_LOG_FORMAT !== 'text');

export const logger = winston.createLogger({
  level: process.env.LLN_LOG_LEVEL ?? 'info',
  format: wantJson
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(winston.format.colorize(), winston.format.simple()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
});

export function setLogLevel(level: string): void {
  logger.level = level;
}
