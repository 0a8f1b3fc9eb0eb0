import { closeSync, openSync } from 'node:fs';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';
import { outputWriteError, writeAllSync } from './sync-output';

const FLUSH_BYTES = 1 << 20;
/** The longest row: frame (≤ 16 digits), timestamp and score (≤ 26 chars each as toFixed(6) of a huge value), 3 separators. */
const MAX_ROW = 96;

/**
 * Every packet's score as CSV, columns exactly `frame,timestamp,score` (timestamp = epoch
 * seconds with µs, score with 6 decimals), for joining with tshark/Zeek output by frame number.
 * Rows are formatted as ASCII straight into a 1 MB buffer and written when it fills: a write
 * per row would cap the rate far below the pipeline's, and building row strings left ~30k
 * short-lived strings alive per MB, which every young-generation GC had to copy.
 */
export class ScoresCsvWriter {
  private fd: number;
  private readonly buf = Buffer.allocUnsafe(FLUSH_BYTES);
  private pos = 0;
  private count = 0;
  /**
   * Set when a write failed (full disk, closed pipe). write() never throws: it runs inside the
   * scoring pipeline, and an exception there would also cut off the anomaly rows of the same
   * batch from the other outputs. The caller polls this to stop, and close() throws it.
   */
  failure: LlnError | null = null;

  constructor(readonly path: string) {
    try {
      this.fd = path === '-' ? 1 : openSync(path, 'w');
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${path}: ${describeFsError(e)}; choose another path for the scores`, { cause: e });
    }
    this.pos = this.buf.write('frame,timestamp,score\n', 0, 'latin1');
  }

  write(frame: number, ts: number, score: number): void {
    if (this.failure) return;
    if (this.pos + MAX_ROW > FLUSH_BYTES) this.flushQuietly();
    if (this.failure) return;
    let p = writeInt(this.buf, this.pos, frame);
    this.buf[p++] = 0x2c; // ,
    p = writeFixed6(this.buf, p, ts);
    this.buf[p++] = 0x2c;
    p = writeFixed6(this.buf, p, score);
    this.buf[p++] = 0x0a; // \n
    this.pos = p;
    this.count++;
  }

  rows(): number {
    return this.count;
  }

  /** Write the buffered rows; throws the failure (now or from before). */
  flush(): void {
    this.flushQuietly();
    if (this.failure) throw this.failure;
  }

  private flushQuietly(): void {
    if (this.pos === 0 || this.failure) return;
    const n = this.pos;
    this.pos = 0;
    try {
      writeAllSync(this.fd, this.buf.subarray(0, n));
    } catch (e) {
      this.failure = outputWriteError(this.path, e);
    }
  }

  /** Flush and close the file; throws the write failure if there was one (the file is closed anyway). */
  close(): void {
    try {
      this.flush();
    } finally {
      if (this.fd > 2) closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** Decimal digits of a non-negative integer below 2^53 at buf[pos..]; returns the end. */
function writeInt(buf: Buffer, pos: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = n;
  for (let i = pos + digits - 1; i >= pos; i--) {
    const q = Math.floor(x / 10);
    buf[i] = 0x30 + (x - q * 10);
    x = q;
  }
  return pos + digits;
}

/** fixed6(v) as ASCII at buf[pos..]; returns the end. */
function writeFixed6(buf: Buffer, pos: number, v: number): number {
  if (!(v >= 0) || v >= 1e15) return pos + buf.write(v.toFixed(6), pos, 'latin1');
  let whole = Math.floor(v);
  let micro = Math.round((v - whole) * 1e6);
  if (micro >= 1e6) {
    whole++;
    micro -= 1e6;
  }
  let p = writeInt(buf, pos, whole);
  buf[p++] = 0x2e; // .
  for (let i = p + 5; i >= p; i--) {
    const q = Math.floor(micro / 10);
    buf[i] = 0x30 + (micro - q * 10);
    micro = q;
  }
  return p + 6;
}

/** v with 6 decimals: toFixed(6) for non-negative v below 1e15, computed as the CSV writes it. */
export function fixed6(v: number): string {
  const b = Buffer.allocUnsafe(40);
  return b.toString('latin1', 0, writeFixed6(b, 0, v));
}
