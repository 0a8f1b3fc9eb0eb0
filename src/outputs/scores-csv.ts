import { closeSync, openSync, writeSync } from 'node:fs';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';

const FLUSH_CHARS = 1 << 20;

/**
 * Every packet's score as CSV, columns exactly `frame,timestamp,score` (timestamp = epoch
 * seconds with µs, score with 6 decimals), for joining with tshark/Zeek output by frame number.
 * Rows are built into one string and written in ~1 MB chunks: a write per row would cap the
 * rate far below the pipeline's.
 */
export class ScoresCsvWriter {
  private fd: number;
  private buf = '';
  private count = 0;

  constructor(readonly path: string) {
    try {
      this.fd = path === '-' ? 1 : openSync(path, 'w');
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write ${path}: ${describeFsError(e)}; choose another path for the scores`, { cause: e });
    }
    this.buf = 'frame,timestamp,score\n';
  }

  write(frame: number, ts: number, score: number): void {
    this.buf += frame + ',' + fixed6(ts) + ',' + fixed6(score) + '\n';
    this.count++;
    if (this.buf.length >= FLUSH_CHARS) this.flush();
  }

  /** n rows from parallel arrays (the pipeline's per-batch typed arrays). */
  writeBatch(frames: ArrayLike<number>, ts: ArrayLike<number>, scores: ArrayLike<number>, n = frames.length): void {
    for (let i = 0; i < n; i++) {
      this.buf += frames[i] + ',' + fixed6(ts[i]) + ',' + fixed6(scores[i]) + '\n';
      if (this.buf.length >= FLUSH_CHARS) this.flush();
    }
    this.count += n;
  }

  rows(): number {
    return this.count;
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const data = Buffer.from(this.buf, 'latin1');
    this.buf = '';
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
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

/** v with 6 decimals, as toFixed(6) for non-negative v but ~1.6x faster (this is the per-packet path). */
export function fixed6(v: number): string {
  if (!(v >= 0) || v >= 1e15) return v.toFixed(6);
  let whole = Math.floor(v);
  let micro = Math.round((v - whole) * 1e6);
  if (micro >= 1e6) {
    whole++;
    micro -= 1e6;
  }
  const m =
    micro >= 100000 ? '' + micro : micro >= 10000 ? '0' + micro : micro >= 1000 ? '00' + micro : micro >= 100 ? '000' + micro : micro >= 10 ? '0000' + micro : '00000' + micro;
  return whole + '.' + m;
}
