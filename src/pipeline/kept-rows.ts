/**
 * A first-in-first-out store of feature rows (F floats each), for the few pending packets that
 * will need an explanation: add() hands out increasing ids, dropThrough(id) frees every row up
 * to and including id. One Float32Array ring that doubles when full; no object per row.
 */
export class KeptRows {
  private data: Float32Array;
  private mask: number;
  /** Id of the oldest kept row, and the id the next row gets. */
  private head = 0;
  private tail = 0;

  constructor(private readonly F: number, initialRows = 1024) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(2, initialRows)));
    this.data = new Float32Array(cap * F);
    this.mask = cap - 1;
  }

  /** Copy src[off .. off+F) in; returns the row's id. */
  add(src: Float32Array, off: number): number {
    if (this.tail - this.head > this.mask) this.grow();
    const id = this.tail++;
    this.data.set(src.subarray(off, off + this.F), (id & this.mask) * this.F);
    return id;
  }

  /** The row with this id: a view, valid until the row is dropped or the store grows. */
  row(id: number): Float32Array {
    const o = (id & this.mask) * this.F;
    return this.data.subarray(o, o + this.F);
  }

  /** Free every row up to and including `id` (rows are freed in the order they were added). */
  dropThrough(id: number): void {
    if (id >= this.head) this.head = id + 1;
  }

  private grow(): void {
    const { F } = this;
    const old = this.data;
    const oldMask = this.mask;
    this.data = new Float32Array(old.length * 2);
    this.mask = oldMask * 2 + 1;
    for (let id = this.head; id < this.tail; id++) {
      const from = (id & oldMask) * F;
      this.data.set(old.subarray(from, from + F), (id & this.mask) * F);
    }
  }
}
