/**
 * A bounded table of per-key context state (hosts, channels, sockets): string key → a slot of
 * `stride` doubles in one flat slab (`slab`, grown by doubling up to `cap` slots).
 *
 * Eviction is a two-generation approximation of LRU: new and touched keys live in `young`;
 * when `young` reaches cap/2 keys, `old` (every key not touched during a whole generation) is
 * dropped, its slots go back to the free list, and `young` becomes `old`. So the table never
 * holds more than `cap` entries, a key touched at least once per cap/2 insertions is never
 * evicted, and no per-access reordering is needed (a true LRU on a Map costs a delete + set
 * on every hit). A scan of a million hosts therefore costs at most `cap` slots. Eviction
 * depends only on the order of keys, never on wall time, so it is deterministic.
 *
 * `slab` may be replaced when it grows: read it AFTER the lookups of the current packet.
 */
export class ContextTable {
  private young = new Map<string, number>();
  private old = new Map<string, number>();
  private readonly generationSize: number;
  private readonly free: Int32Array;
  private freeCount = 0;
  /** Slots ever handed out (the slab's used prefix). */
  private highWater = 0;
  slab: Float64Array;
  /** Entries dropped so far. */
  evictions = 0;

  constructor(
    readonly cap: number,
    readonly stride: number,
    private readonly init: (slab: Float64Array, base: number) => void,
  ) {
    if (!Number.isInteger(cap) || cap < 2) throw new RangeError(`ContextTable cap must be an integer >= 2, got ${cap}`);
    this.generationSize = Math.floor(cap / 2);
    this.free = new Int32Array(cap);
    this.slab = new Float64Array(Math.min(cap, 1024) * stride);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Base offset in `slab` of key's entry (refreshing it), or -1. */
  find(key: string): number {
    const v = this.young.get(key);
    if (v !== undefined) return v * this.stride;
    const o = this.old.get(key);
    if (o === undefined) return -1;
    this.old.delete(key);
    this.rotateIfFull();
    this.young.set(key, o);
    return o * this.stride;
  }

  /** Add a key known to be absent (find() returned -1); returns its freshly initialised base. */
  insert(key: string): number {
    this.rotateIfFull();
    const slot = this.allocSlot();
    this.young.set(key, slot);
    const base = slot * this.stride;
    this.init(this.slab, base);
    return base;
  }

  delete(key: string): void {
    let slot = this.young.get(key);
    if (slot !== undefined) this.young.delete(key);
    else {
      slot = this.old.get(key);
      if (slot === undefined) return;
      this.old.delete(key);
    }
    this.free[this.freeCount++] = slot;
  }

  private rotateIfFull(): void {
    if (this.young.size < this.generationSize) return;
    for (const slot of this.old.values()) this.free[this.freeCount++] = slot;
    this.evictions += this.old.size;
    this.old = this.young;
    this.young = new Map();
  }

  private allocSlot(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount];
    const slot = this.highWater++;
    if ((slot + 1) * this.stride > this.slab.length) {
      const grown = new Float64Array(Math.min(this.cap, (slot + 1) * 2) * this.stride);
      grown.set(this.slab);
      this.slab = grown;
    }
    return slot;
  }
}
