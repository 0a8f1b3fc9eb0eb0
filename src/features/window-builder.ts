import { LlnError } from '../errors';
import type { Window } from './window';

/**
 * Turns a stream of scaled vectors into windows of W packets with stride S. Packets are
 * counted from 1; the window ending at packet t (covering t-W+1 .. t) is emitted when t == W
 * or (t - W) % S == 0, and flush() adds a last window ending at the last packet when that
 * packet is not yet covered. With S <= W consecutive windows overlap or touch, so every packet
 * is in at least one window. A stream shorter than W gives one window, zero-padded at the
 * front (length < W).
 */
export class WindowBuilder {
  private readonly ring: Float32Array;
  private readonly frames: Float64Array;
  /** Packets pushed so far. */
  private t = 0;
  /** Packet count at the end of the last emitted window (0 = none). */
  private lastEmitted = 0;
  /** Windows emitted so far. */
  emitted = 0;

  constructor(readonly W: number, readonly S: number, readonly F: number) {
    if (!Number.isInteger(W) || W < 2) throw new LlnError('LLN_E_USAGE', `window length W must be an integer >= 2 (got ${W})`);
    if (!Number.isInteger(S) || S < 1 || S > W) {
      throw new LlnError('LLN_E_USAGE', `window stride S must be an integer from 1 to W=${W} (got ${S}); a stride above W would leave packets unscored`);
    }
    if (!Number.isInteger(F) || F < 1) throw new LlnError('LLN_E_USAGE', `feature count F must be an integer >= 1 (got ${F})`);
    this.ring = new Float32Array(W * F);
    this.frames = new Float64Array(W);
  }

  /** Add packet `frame`'s scaled vector; returns the window ending here if one is due. */
  push(frame: number, scaledVec: Float32Array, offset: number): Window | null {
    const slot = this.t % this.W;
    this.ring.set(scaledVec.subarray(offset, offset + this.F), slot * this.F);
    this.frames[slot] = frame;
    this.t++;
    const t = this.t;
    if (t === this.W || (t > this.W && (t - this.W) % this.S === 0)) return this.emit();
    return null;
  }

  /** End of stream: the last window, if the last packet is not yet covered (else null). */
  flush(): Window | null {
    if (this.t === 0 || this.lastEmitted === this.t) return null;
    return this.emit();
  }

  private emit(): Window {
    const { W, F } = this;
    const n = this.t < W ? this.t : W;
    const data = new Float32Array(W * F);
    // Oldest real packet sits at ring slot (t - n) % W; copy in time order after the padding.
    const first = (this.t - n) % W;
    const firstRun = Math.min(n, W - first);
    data.set(this.ring.subarray(first * F, (first + firstRun) * F), (W - n) * F);
    if (firstRun < n) data.set(this.ring.subarray(0, (n - firstRun) * F), (W - n + firstRun) * F);
    this.lastEmitted = this.t;
    this.emitted++;
    return {
      startFrame: this.frames[first],
      endFrame: this.frames[(this.t - 1) % W],
      length: n,
      data,
    };
  }
}
