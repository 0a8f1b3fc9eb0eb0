/**
 * Windows collected for one scoring call, as the scaled rows they are cut from: `rows` holds
 * consecutive packets' rows (F values each; the first rows carry over from the previous batch,
 * as far back as a window reaches), and window i is the W rows ending at row endRow[i]
 * (cutWindowFromRows). Each packet's row is written once here and the scorer cuts the windows:
 * copying every window on the main thread wrote each row W/S times (twice at stride 16) and took
 * ~5% of replay's main thread, which is the limit, while the scoring worker idles.
 *
 * startSeq / endSeq: the pipeline sequence numbers of each window's first and last real packet.
 * Batches are pooled: `rows` is MBs, and allocating one per call (freed by the worker that
 * received it) left glibc's heap fragmented: ~100 MB of peak RSS.
 */
export class WindowBatch {
  count = 0;
  /** Rows written so far. */
  rowCount = 0;
  readonly startSeq: Float64Array;
  readonly endSeq: Float64Array;
  readonly endRow: Int32Array;

  constructor(readonly capacity: number, readonly rowCapacity: number, public rows: Float32Array) {
    this.startSeq = new Float64Array(capacity);
    this.endSeq = new Float64Array(capacity);
    this.endRow = new Int32Array(capacity);
  }
}

/** A small free list of WindowBatch objects of one shape. */
export class WindowBatchPool {
  private readonly free: WindowBatch[] = [];

  /** `keep`: batches kept for reuse at most (those beyond it are left to the GC when given back). */
  constructor(private readonly capacity: number, private readonly rowCapacity: number, private readonly features: number, public keep: number) {}

  take(): WindowBatch {
    const b = this.free.pop();
    if (b) {
      b.count = 0;
      b.rowCount = 0;
      return b;
    }
    return new WindowBatch(this.capacity, this.rowCapacity, new Float32Array(this.rowCapacity * this.features));
  }

  /**
   * Give a batch back. `rows` is the buffer to keep with it: the scorer may have transferred the
   * original to a worker (detached here) and handed back the same memory as a new view.
   */
  give(b: WindowBatch, rows: Float32Array | undefined): void {
    if (rows === undefined || rows.length !== this.rowCapacity * this.features || this.free.length >= this.keep) return;
    b.rows = rows;
    this.free.push(b);
  }
}
