import { closeSync, openSync, writeSync } from 'node:fs';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';

/** The path that means standard output. */
export const STDOUT_PATH = '-';
const STDOUT_FD = 1;
const FLUSH_BYTES = 1 << 16;
const EAGAIN_WAIT = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write every byte of buf to fd, synchronously, so a failure (ENOSPC, EPIPE, EIO) surfaces here
 * as an error the caller can turn into one line and an exit code, instead of as an 'error' event
 * on a stream that nobody listens to. A non-blocking pipe (EAGAIN) is waited on and retried.
 */
export function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(EAGAIN_WAIT, 0, 0, 5); // the reader is slow: give it 5 ms
    }
  }
}

/** The one message for an output that stopped accepting bytes mid-run. */
export function outputWriteError(target: string, e: unknown): LlnError {
  const name = target === STDOUT_PATH ? 'standard output' : target;
  const what = (e as NodeJS.ErrnoException).code === 'EPIPE' ? 'connect it to a reader that reads to the end' : 'free space or choose another path';
  return new LlnError('LLN_E_OUTPUT', `cannot write ${name}: ${describeFsError(e)}; ${what}`, { cause: e });
}

/** Text to standard output, synchronously; a failure is an LLN_E_OUTPUT error (exit 5). */
export function writeStdout(text: string): void {
  try {
    writeAllSync(STDOUT_FD, Buffer.from(text, 'utf8'));
  } catch (e) {
    throw outputWriteError(STDOUT_PATH, e);
  }
}

/**
 * Buffered line output to a file or standard output ('-'), written synchronously in 64 KiB chunks:
 * fast for millions of rows, and every failure (full disk, closed pipe) is thrown where it
 * happens as LLN_E_OUTPUT. The file is created when the object is made: callers check the path
 * first (checkWritable) and create the output once the input is known good.
 */
export class TextFileOutput {
  private fd: number;
  private buf: string[] = [];
  private bufLen = 0;

  constructor(readonly target: string = STDOUT_PATH) {
    if (target === STDOUT_PATH) {
      this.fd = STDOUT_FD;
      return;
    }
    try {
      this.fd = openSync(target, 'w');
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${target}: ${describeFsError(e)}; choose another path`, { cause: e });
    }
  }

  line(text: string): void {
    this.buf.push(text);
    this.bufLen += text.length + 1;
    if (this.bufLen >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const chunk = Buffer.from(this.buf.join('\n') + '\n', 'utf8');
    this.buf = [];
    this.bufLen = 0;
    try {
      writeAllSync(this.fd, chunk);
    } catch (e) {
      throw outputWriteError(this.target, e);
    }
  }

  /** Flush and close; after a failed flush the file is still closed (the error is rethrown). */
  close(): void {
    try {
      this.flush();
    } finally {
      if (this.fd > 2) closeSync(this.fd);
      this.fd = -1;
    }
  }
}
