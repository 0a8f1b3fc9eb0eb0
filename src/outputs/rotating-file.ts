import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';

export interface RotateOptions {
  /** Start a new file when the current one would grow beyond this many bytes. */
  maxBytes?: number;
  /** Start a new file when the UTC day changes. */
  daily?: boolean;
}

export interface RotatingFileOptions {
  /** First line of every new file (CSV header), without the newline. */
  header?: string;
  rotate?: RotateOptions;
  /** Wall clock in ms (tests move time). */
  now?: () => number;
}

/**
 * An append-only text file written with synchronous writes (one per batch, so a crash leaves
 * whole batches), that can be reopened after logrotate moved it and can rotate itself by size
 * or by UTC day. A rotated file is renamed to "<stem>.<UTC start time><ext>", e.g.
 * alerts.20240102T000000Z.csv, so rotated files sort by time.
 */
export class RotatingFile {
  private fd = -1;
  private size = 0;
  private periodStartMs = 0;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    private readonly options: RotatingFileOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.open();
  }

  private open(): void {
    try {
      this.fd = openSync(this.path, 'a');
      const st = fstatSync(this.fd);
      this.size = st.size;
      this.periodStartMs = st.size > 0 ? st.mtimeMs : this.now();
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${this.path}: ${describeFsError(e)}; choose another path`, { cause: e });
    }
    const header = this.options.header;
    if (header === undefined) return;
    if (this.size === 0) this.append(header + '\n');
    else this.checkHeader(header);
  }

  /** Appending to a file with other columns would make both unreadable: refuse instead. */
  private checkHeader(header: string): void {
    const buf = Buffer.alloc(Buffer.byteLength(header) + 1);
    const fd = openSync(this.path, 'r');
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    const first = buf.subarray(0, n).toString('utf8');
    if (first !== header + '\n') {
      this.close();
      throw new LlnError(
        'LLN_E_OUTPUT',
        `cannot append to ${this.path}: its first line is not this version's header; move it aside or choose another path with --csv`,
      );
    }
  }

  write(text: string): void {
    if (text.length === 0) return;
    const bytes = Buffer.from(text, 'utf8');
    this.rotateIfDue(bytes.length);
    this.append(bytes);
  }

  private rotateIfDue(incoming: number): void {
    const r = this.options.rotate;
    if (!r) return;
    const headerBytes = this.options.header !== undefined ? Buffer.byteLength(this.options.header) + 1 : 0;
    const hasData = this.size > headerBytes;
    const bySize = r.maxBytes !== undefined && hasData && this.size + incoming > r.maxBytes;
    const byDay = r.daily === true && hasData && utcDay(this.now()) !== utcDay(this.periodStartMs);
    if (bySize || byDay) this.rotate();
  }

  /** Rename the current file aside and start a new one (with a header). */
  rotate(): string {
    this.close();
    const ext = path.extname(this.path);
    const stem = this.path.slice(0, this.path.length - ext.length);
    const stamp = new Date(this.periodStartMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    let target = `${stem}.${stamp}${ext}`;
    for (let n = 1; existsSync(target); n++) target = `${stem}.${stamp}-${n}${ext}`;
    try {
      renameSync(this.path, target);
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot rotate ${this.path}: ${describeFsError(e)}; choose another path`, { cause: e });
    }
    this.open();
    this.periodStartMs = this.now();
    return target;
  }

  private append(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      // A full disk takes part of a batch: cut it off, so the file ends with whole rows.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        /* not a regular file (/dev/full, a pipe): nothing to cut */
      }
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${this.path}: ${describeFsError(e)}; free space or choose another path`, { cause: e });
    }
    this.size += buf.length;
  }

  /** After logrotate renamed the file: continue in a fresh file at the configured path. */
  reopen(): void {
    this.close();
    this.open();
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function utcDay(ms: number): number {
  return Math.floor(ms / 86_400_000);
}
