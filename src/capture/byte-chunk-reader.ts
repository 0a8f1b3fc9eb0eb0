/**
 * A cursor over a stream of byte chunks (file reads, gunzip output, stdin).
 *
 * Readers parse records straight out of `buf` between `pos` and `buf.length`, and hand out
 * subarrays of it: chunk buffers are fresh allocations that nobody writes into again, so a
 * yielded packet's bytes stay valid for as long as the consumer keeps them. Only a record that
 * straddles two chunks is copied, into a fresh buffer holding exactly the bytes asked for;
 * the rest of the next chunk is kept aside and becomes `buf` again once that is consumed.
 */
const EMPTY = Buffer.alloc(0);

export class ChunkCursor {
  /** Current bytes; readable from `pos` to `buf.length`. */
  buf: Buffer = EMPTY;
  pos = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  /** Stream offset just past the last byte pulled from the source. */
  private pulled = 0;
  /** Tail of the last pulled chunk, not yet in `buf` (after a straddle copy). */
  private pending: Buffer | null = null;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Stream offset of buf[pos]: where the next record starts (for error messages). */
  get offset(): number {
    return this.base + this.pos;
  }

  get available(): number {
    return this.buf.length - this.pos;
  }

  /**
   * Make at least n bytes readable at buf[pos..]. Resolves false at end of stream; the bytes
   * that were left are then still readable (available < n).
   */
  async ensure(n: number): Promise<boolean> {
    if (this.buf.length - this.pos >= n) return true;
    if (this.buf.length === this.pos) {
      // Nothing left over: move to the next chunk without copying when it is big enough.
      const next = await this.nextChunk();
      if (next === null) return false;
      this.base = this.pulled - next.length;
      this.buf = next;
      this.pos = 0;
      if (next.length >= n) return true;
    }
    return this.straddle(n);
  }

  /** Copy the leftover bytes plus just enough of the following chunks into one fresh buffer. */
  private async straddle(n: number): Promise<boolean> {
    const start = this.offset;
    const parts: Buffer[] = [this.buf.subarray(this.pos)];
    let have = parts[0].length;
    while (have < n) {
      const next = await this.nextChunk();
      if (next === null) break;
      const take = Math.min(n - have, next.length);
      parts.push(next.subarray(0, take));
      have += take;
      if (take < next.length) this.pending = next.subarray(take);
    }
    this.buf = Buffer.concat(parts, have);
    this.pos = 0;
    this.base = start;
    return have >= n;
  }

  private async nextChunk(): Promise<Buffer | null> {
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    while (!this.ended) {
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const chunk = r.value;
      if (chunk.length === 0) continue;
      this.pulled += chunk.length;
      return chunk;
    }
    return null;
  }

  /** The unread bytes, then the rest of the source (to feed a decompressor). */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.pos < this.buf.length) yield this.buf.subarray(this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    for (;;) {
      const next = await this.nextChunk();
      if (next === null) return;
      yield next;
    }
  }

  /** Stop the source (closes the file / stream behind it). */
  async close(): Promise<void> {
    this.ended = true;
    await this.source.return?.();
  }
}
