/**
 * A bounded table of per-key context state (hosts, channels, sockets): key → a slot of
 * `stride` doubles in one flat slab (`slab`, grown by doubling up to `cap` slots).
 *
 * Keys are either up to four 32-bit integers (IPv4 hosts, channels and 5-tuples: the common
 * case, looked up in a typed-array open-addressing index with no string built or hashed) or a
 * string (IPv6, MAC and odd cases, in a Map). Both kinds share one slab and one eviction
 * clock, so the table behaves exactly as if every key were a string; callers must map each
 * logical key to exactly one kind (see ContextTracker).
 *
 * Eviction is a two-generation approximation of LRU: new and touched keys are "young"; when
 * young reaches cap/2 keys, every "old" key (not touched during a whole generation) is
 * dropped, its slot goes back to the free list, and young becomes old. So the table never
 * holds more than `cap` entries, a key touched at least once per cap/2 insertions is never
 * evicted, and no per-access reordering is needed. A scan of a million hosts therefore costs
 * at most `cap` slots. Eviction depends only on the order of keys, never on wall time, so it
 * is deterministic. Generations are per-slot stamps; a rotation sweeps the used slots once
 * (O(cap) every cap/2 operations, O(1) amortised) and rebuilds the numeric index, so the
 * index needs no tombstones.
 *
 * `slab` may be replaced when it grows: read it AFTER the lookups of the current packet.
 */
const DEAD = 0;
/** A refreshed old key during the rotation its refresh triggers: neither old nor young. */
const PINNED = -1;
const FIRST_GEN = 2;
const RENUMBER_AT = 2 ** 30;

export class ContextTable {
  private readonly generationSize: number;
  private readonly free: Int32Array;
  private freeCount = 0;
  /** Slots ever handed out (the slab's used prefix). */
  private highWater = 0;
  /** Slots the slab and per-slot arrays currently hold. */
  private room: number;
  slab: Float64Array;
  /** Entries dropped so far. */
  evictions = 0;

  /** Per slot: generation stamp (cur = young, cur - 1 = old), DEAD or PINNED. */
  private gen: Int32Array;
  /** Per slot: the four key words of a numeric key. */
  private keys: Int32Array;
  /** Per slot: the string key, or undefined for a numeric key. */
  private readonly strKeys: Array<string | undefined> = [];
  private readonly strIndex = new Map<string, number>();
  /** Open-addressing (linear probing) index: slot + 1 of numeric keys, 0 = empty. Load <= 1/2. */
  private index: Int32Array;
  private mask: number;
  private cur = FIRST_GEN;
  private youngCount = 0;
  private oldCount = 0;

  constructor(
    readonly cap: number,
    readonly stride: number,
    private readonly init: (slab: Float64Array, base: number) => void,
  ) {
    if (!Number.isInteger(cap) || cap < 2) throw new RangeError(`ContextTable cap must be an integer >= 2, got ${cap}`);
    this.generationSize = Math.floor(cap / 2);
    this.free = new Int32Array(cap);
    this.room = Math.min(cap, 1024);
    this.slab = new Float64Array(this.room * stride);
    this.gen = new Int32Array(this.room);
    this.keys = new Int32Array(this.room * 4);
    this.index = new Int32Array(indexSizeFor(this.room));
    this.mask = this.index.length - 1;
  }

  get size(): number {
    return this.youngCount + this.oldCount;
  }

  /** Base offset in `slab` of string key's entry (refreshing it), or -1. */
  find(key: string): number {
    const slot = this.strIndex.get(key);
    return slot === undefined ? -1 : this.touch(slot);
  }

  /** Add a string key known to be absent (find() returned -1); returns its freshly initialised base. */
  insert(key: string): number {
    this.rotateIfFull();
    const slot = this.allocSlot();
    this.strIndex.set(key, slot);
    this.strKeys[slot] = key;
    return this.activate(slot);
  }

  /** find() for a numeric key (four int32 words; unused words 0). */
  findNum(a: number, b: number, c: number, d: number): number {
    const keys = this.keys;
    const index = this.index;
    const mask = this.mask;
    for (let h = hash4(a, b, c, d) & mask; ; h = (h + 1) & mask) {
      const s = index[h] - 1;
      if (s < 0) return -1;
      const k = s << 2;
      if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === c && keys[k + 3] === d) return this.touch(s);
    }
  }

  /** insert() for a numeric key known to be absent (findNum() returned -1). */
  insertNum(a: number, b: number, c: number, d: number): number {
    this.rotateIfFull();
    const slot = this.allocSlot();
    const k = slot << 2;
    this.keys[k] = a;
    this.keys[k + 1] = b;
    this.keys[k + 2] = c;
    this.keys[k + 3] = d;
    this.strKeys[slot] = undefined;
    this.indexSlot(slot);
    return this.activate(slot);
  }

  /** Forget a string key (no-op when absent). */
  delete(key: string): void {
    const slot = this.strIndex.get(key);
    if (slot === undefined) return;
    this.strIndex.delete(key);
    this.strKeys[slot] = undefined;
    if (this.gen[slot] === this.cur) this.youngCount--;
    else this.oldCount--;
    this.gen[slot] = DEAD;
    this.free[this.freeCount++] = slot;
  }

  /** Hit on a live slot: an old key moves to young (possibly rotating first, as a Map pair would). */
  private touch(slot: number): number {
    if (this.gen[slot] !== this.cur) {
      this.gen[slot] = PINNED;
      this.oldCount--;
      this.rotateIfFull();
      this.gen[slot] = this.cur;
      this.youngCount++;
    }
    return slot * this.stride;
  }

  private activate(slot: number): number {
    this.gen[slot] = this.cur;
    this.youngCount++;
    const base = slot * this.stride;
    this.init(this.slab, base);
    return base;
  }

  private rotateIfFull(): void {
    if (this.youngCount < this.generationSize) return;
    const gen = this.gen;
    const oldGen = this.cur - 1;
    let evictedNumeric = false;
    for (let s = 0; s < this.highWater; s++) {
      if (gen[s] !== oldGen) continue;
      const key = this.strKeys[s];
      if (key === undefined) evictedNumeric = true;
      else {
        this.strIndex.delete(key);
        this.strKeys[s] = undefined;
      }
      gen[s] = DEAD;
      this.free[this.freeCount++] = s;
    }
    this.evictions += this.oldCount;
    this.oldCount = this.youngCount;
    this.youngCount = 0;
    this.cur++;
    if (this.cur >= RENUMBER_AT) this.renumber();
    if (evictedNumeric) this.rebuildIndex(this.index.length);
  }

  /** Keep stamps small: young → FIRST_GEN, old → FIRST_GEN - 1. */
  private renumber(): void {
    const gen = this.gen;
    for (let s = 0; s < this.highWater; s++) {
      const g = gen[s];
      if (g === this.cur) gen[s] = FIRST_GEN;
      else if (g === this.cur - 1) gen[s] = FIRST_GEN - 1;
    }
    this.cur = FIRST_GEN;
  }

  private rebuildIndex(size: number): void {
    if (size === this.index.length) this.index.fill(0);
    else this.index = new Int32Array(size);
    this.mask = size - 1;
    const gen = this.gen;
    for (let s = 0; s < this.highWater; s++) {
      if (gen[s] !== DEAD && this.strKeys[s] === undefined) this.indexSlot(s);
    }
  }

  private indexSlot(slot: number): void {
    const k = slot << 2;
    const keys = this.keys;
    const index = this.index;
    const mask = this.mask;
    let h = hash4(keys[k], keys[k + 1], keys[k + 2], keys[k + 3]) & mask;
    while (index[h] !== 0) h = (h + 1) & mask;
    index[h] = slot + 1;
  }

  private allocSlot(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount];
    const slot = this.highWater++;
    if (slot >= this.room) this.grow(Math.min(this.cap, this.room * 2));
    return slot;
  }

  private grow(room: number): void {
    const slab = new Float64Array(room * this.stride);
    slab.set(this.slab);
    this.slab = slab;
    const gen = new Int32Array(room);
    gen.set(this.gen);
    this.gen = gen;
    const keys = new Int32Array(room * 4);
    keys.set(this.keys);
    this.keys = keys;
    this.room = room;
    // Slots being handed out are not indexed yet, so a rebuild now sees only the live ones.
    this.rebuildIndex(indexSizeFor(room));
  }
}

function indexSizeFor(room: number): number {
  let n = 16;
  while (n < 2 * room) n *= 2;
  return n;
}

/** Mixes four int32 words (murmur3-style finaliser) into an int32. */
function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ d, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
