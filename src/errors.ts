/**
 * Typed errors with stable codes (as undici/fastify do). Every failure a user can cause
 * gets a code, a one-line message that says what is wrong and what to do, and an exit code.
 * A malformed *packet* is never an error: it is data (see DecodedPacket.error).
 */
export const ExitCode = {
  OK: 0,
  USAGE: 2,
  BAD_INPUT: 3,
  MODEL: 4,
  IO: 5,
  CAPTURE: 6,
  CONFIG: 7,
  INTERRUPTED: 130,
} as const;

export type ErrorCode =
  | 'LLN_E_USAGE'
  | 'LLN_E_EMPTY'
  | 'LLN_E_NOT_PCAP'
  | 'LLN_E_TRUNCATED'
  | 'LLN_E_BAD_RECORD'
  | 'LLN_E_BAD_BLOCK'
  | 'LLN_E_NO_INTERFACE'
  | 'LLN_E_IS_DIR'
  | 'LLN_E_NOT_FOUND'
  | 'LLN_E_UNREADABLE'
  | 'LLN_E_LABELS'
  | 'LLN_E_MODEL'
  | 'LLN_E_SCHEMA_MISMATCH'
  | 'LLN_E_BACKEND'
  | 'LLN_E_OUTPUT'
  | 'LLN_E_DB'
  | 'LLN_E_PG'
  | 'LLN_E_CAPTURE_PERMISSION'
  | 'LLN_E_CAPTURE'
  | 'LLN_E_CONFIG';

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  LLN_E_USAGE: ExitCode.USAGE,
  LLN_E_EMPTY: ExitCode.BAD_INPUT,
  LLN_E_NOT_PCAP: ExitCode.BAD_INPUT,
  LLN_E_TRUNCATED: ExitCode.BAD_INPUT,
  LLN_E_BAD_RECORD: ExitCode.BAD_INPUT,
  LLN_E_BAD_BLOCK: ExitCode.BAD_INPUT,
  LLN_E_NO_INTERFACE: ExitCode.BAD_INPUT,
  LLN_E_IS_DIR: ExitCode.BAD_INPUT,
  LLN_E_NOT_FOUND: ExitCode.BAD_INPUT,
  LLN_E_UNREADABLE: ExitCode.BAD_INPUT,
  LLN_E_LABELS: ExitCode.BAD_INPUT,
  LLN_E_MODEL: ExitCode.MODEL,
  LLN_E_SCHEMA_MISMATCH: ExitCode.MODEL,
  LLN_E_BACKEND: ExitCode.MODEL,
  LLN_E_OUTPUT: ExitCode.IO,
  LLN_E_DB: ExitCode.IO,
  LLN_E_PG: ExitCode.IO,
  LLN_E_CAPTURE_PERMISSION: ExitCode.CAPTURE,
  LLN_E_CAPTURE: ExitCode.CAPTURE,
  LLN_E_CONFIG: ExitCode.CONFIG,
};

export class LlnError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LlnError';
    this.code = code;
    this.exitCode = EXIT_BY_CODE[code];
  }
}

export function isLlnError(e: unknown): e is LlnError {
  return e instanceof LlnError;
}
