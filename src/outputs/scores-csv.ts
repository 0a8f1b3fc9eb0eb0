import { closeSync, openSync, writeSync } from 'node:fs';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';

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

  constructor(readonly path: string) {
    try {
      this.fd = path === '-' ? 1 : openSync(path, 'w');
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${path}: ${describeFsError(e)}; choose another path for the scores`, { cause: e });
    }
    this.pos = this.buf.write('frame,timestamp,score\n', 0, 'latin1');
  }

  write(frame: number, ts: number, score: number): void {
    if (this.pos + MAX_ROW > FLUSH_BYTES) this.flush();
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

  flush(): void {
    if (this.pos === 0) return;
    const n = this.pos;
    this.pos = 0;
    try {
      let off = 0;
      while (off < n) off += writeSync(this.fd, this.buf, off, n - off);
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${this.path}: ${describeFsError(e)}; free space or choose another path`, { cause: e });
    }
  }

  close(): void {
    this.flush();
    if (this.fd > 2) closeSync(this.fd);
    this.fd = -1;
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
