import { LlnError } from '../errors';

/**
 * Turns a stream of scaled vectors into windows of W packets with stride S. Packets are
 * counted from 1; the window ending at packet t (covering t-W+1 .. t) is due when t == W or
 * (t - W) % S == 0, and at the end of the stream one last window ends at the last packet
 * when that packet is not yet covered (tailDue). With S <= W consecutive windows overlap or
 * touch, so every packet is in at least one window. A stream shorter than W gives one
 * window, zero-padded at the front (length < W).
 *
 * No allocation per packet or window: the caller writes each packet's scaled vector straight
 * into the ring (at nextRow()), and copies a due window straight into its batch buffer
 * (writeWindow). The scoring pipeline keeps the rows itself (its batches) and uses only the
 * counting: commit, takeWindow, tailDue.
 */
export class WindowBuilder {
  /** The last W scaled vectors, W*F floats; row of packet t at ((t-1) % W) * F. */
  readonly ring: Float32Array;
  private readonly ids: Float64Array;
  /** Packets committed so far. */
  private t = 0;
  /** Ring slot of the next packet (t % W, kept as a counter: a division per packet showed up in profiles). */
  private slot = 0;
  /** Packets until the next window is due (W for the first, then S). */
  private untilDue: number;
  /** Packet count at the end of the last written window (0 = none). */
  private lastWritten = 0;
  /** Windows written so far. */
  emitted = 0;
  /** Caller ids of the first and last real packet, and the real length, of the last written window. */
  startId = -1;
  endId = -1;
  length = 0;

  constructor(readonly W: number, readonly S: number, readonly F: number) {
    if (!Number.isInteger(W) || W < 2) throw new LlnError('LLN_E_USAGE', `window length W must be an integer >= 2 (got ${W})`);
    if (!Number.isInteger(S) || S < 1 || S > W) {
      throw new LlnError('LLN_E_USAGE', `window stride S must be an integer from 1 to W=${W} (got ${S}); a stride above W would leave packets unscored`);
    }
    if (!Number.isInteger(F) || F < 1) throw new LlnError('LLN_E_USAGE', `feature count F must be an integer >= 1 (got ${F})`);
    this.ring = new Float32Array(W * F);
    this.ids = new Float64Array(W);
    this.untilDue = W;
  }

  /** Offset in `ring` where the next packet's F scaled values go (write them, then commit). */
  nextRow(): number {
    return this.slot * this.F;
  }

  /** The packet written at nextRow() is complete (`id`: the caller's packet id); true when a window ending here is due. */
  commit(id: number): boolean {
    this.ids[this.slot] = id;
    this.slot = this.slot + 1 === this.W ? 0 : this.slot + 1;
    this.t++;
    if (--this.untilDue > 0) return false;
    this.untilDue = this.S;
    return true;
  }

  /** End of stream: is a last window needed to cover the newest packets? */
  tailDue(): boolean {
    return this.t > 0 && this.lastWritten !== this.t;
  }

  /**
   * Copy the window ending at the newest packet into dst[off .. off + W*F): rows in time
   * order, padding rows (short stream) zeroed at the front. Sets startId/endId/length.
   */
  writeWindow(dst: Float32Array, off: number): void {
    const { W, F } = this;
    const n = this.t < W ? this.t : W;
    const pad = W - n;
    if (pad > 0) dst.fill(0, off, off + pad * F);
    // Oldest real packet sits at ring slot (t - n) % W: at most two runs (wrap-around).
    const first = (this.t - n) % W;
    const firstRun = Math.min(n, W - first);
    dst.set(this.ring.subarray(first * F, (first + firstRun) * F), off + pad * F);
    if (firstRun < n) dst.set(this.ring.subarray(0, (n - firstRun) * F), off + (pad + firstRun) * F);
    this.takeWindow();
  }

  /**
   * The window ending at the newest packet is taken, by a caller that keeps the rows itself (the
   * scoring pipeline writes them into its batch, not the ring): sets startId/endId/length.
   */
  takeWindow(): void {
    const W = this.W;
    const n = this.t < W ? this.t : W;
    this.lastWritten = this.t;
    this.emitted++;
    this.startId = this.ids[(this.t - n) % W];
    this.endId = this.ids[(this.t - 1) % W];
    this.length = n;
  }
}
