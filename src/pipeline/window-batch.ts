/**
 * Windows collected for one scoring call: their W*F values back to back in `data` (the
 * scorer's input as is) and the pipeline sequence numbers of each window's first and last
 * real packet. Batches are pooled: `data` is several MB, and allocating one per call (freed
 * by the worker that received it) left glibc's heap fragmented: ~100 MB of peak RSS.
 */
export class WindowBatch {
  count = 0;
  readonly startSeq: Float64Array;
  readonly endSeq: Float64Array;

  constructor(readonly capacity: number, public data: Float32Array) {
    this.startSeq = new Float64Array(capacity);
    this.endSeq = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }
}

/** A small free list of WindowBatch objects of one shape. */
export class WindowBatchPool {
  private readonly free: WindowBatch[] = [];

  /** `keep`: batches kept for reuse at most (those beyond it are left to the GC when given back). */
  constructor(private readonly capacity: number, private readonly floatsPerWindow: number, public keep: number) {}

  take(): WindowBatch {
    const b = this.free.pop();
    if (b) {
      b.count = 0;
      return b;
    }
    return new WindowBatch(this.capacity, new Float32Array(this.capacity * this.floatsPerWindow));
  }

  /**
   * Give a batch back. `data` is the buffer to keep with it: the scorer may have transferred the
   * original to a worker (detached here) and handed back the same memory as a new view.
   */
  give(b: WindowBatch, data: Float32Array | undefined): void {
    if (data === undefined || data.length !== this.capacity * this.floatsPerWindow || this.free.length >= this.keep) return;
    b.data = data;
    this.free.push(b);
  }
}
