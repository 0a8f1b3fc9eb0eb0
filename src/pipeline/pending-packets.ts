import { decode } from '../capture/decode';
import type { DecodedPacket } from '../capture/decode/decoded-packet';
import type { RawPacket } from '../capture/raw-packet';
import { ActorHold } from './actor-hold';
import { FLOW_HOLD, FlowHold, NO_FLOW } from './flow-hold';
import { KeptRows } from './kept-rows';

/**
 * Packets whose score is final, in order: a view into PendingPackets, valid only during the
 * onFinal call it is handed to (the slots are reused afterwards). Index i from 0 to length-1.
 */
export interface FinalPackets {
  readonly length: number;
  frame(i: number): number;
  /** Capture time, epoch seconds. */
  ts(i: number): number;
  /**
   * Max score over the scored windows containing the packet, or the verdict it holds when that is
   * higher: its flow's or service's opening, before or after it (flow-hold.ts); -1 when none was
   * scored (windows dropped).
   */
  score(i: number): number;
  /** Frame the attention pointed to in the window that gave the score (-1 = none). */
  attentionFrame(i: number): number;
  /** The frame whose opening score the packet holds (flow-hold.ts), or whose actor or target verdict (actor-hold.ts); -1 when the score is its own. */
  heldFrom(i: number): number;
  /** What that frame is: its own flow's opening, another flow of its service, an odd attempt of its source's or at its destination. */
  heldKind(i: number): HeldKind;
  /** The packet decoded again from its captured bytes (for the few rows that get written: it allocates). */
  decoded(i: number): DecodedPacket;
  /**
   * Its scaled feature row (what the model saw), kept only for packets in a window that scored
   * at or above the keep threshold (see applyWindow); null otherwise. A view, valid during the call.
   */
  scaledRow(i: number): Float32Array | null;
}

/**
 * Packets waiting for every window that contains them to be scored, as columns in a ring
 * indexed by the pipeline's packet sequence number (0, 1, 2, ...).
 *
 * Per packet the ring keeps the captured record's fields and where its bytes are (its bytes are
 * needed again only for an anomaly row: decoding is ~0.2 µs, so the few anomalous packets are
 * decoded a second time), its time, score, attention frame and deviation from normal. The
 * scaled feature row is kept (in a KeptRows store) only for packets in a window scoring at or
 * above the keep threshold, the ones an explanation may be asked for: storing every packet's
 * row put ~9.5 MB of writes per 24k packets in flight on the hot path, and the pipeline ran
 * ~20% faster (median, busy machine) without them. No object per packet survives here: keeping the decoded packets made each
 * pending packet a ~0.5 KB survivor of every young-generation GC (a quarter of replay time
 * went to copying them), and keeping the RawPacket objects still cost ~0.2 KB each.
 *
 * Windows are scored in emission order, so once a window starting at sequence s is scored,
 * every packet before s is final. Memory is bounded by (windows in flight) × stride + W
 * packets; the ring doubles when that is more than it holds.
 */
export class PendingPackets implements FinalPackets {
  private slots: PacketSlots;
  private mask: number;
  /** Sequence number of the oldest pending packet, and of the next one to be pushed. */
  private head = 0;
  private tail = 0;
  /** During onFinal: the sequence number the view starts at, and its length. */
  private viewFrom = 0;
  length = 0;

  private readonly kept: KeptRows;
  /** Packets get the flow verdict in capture order, which is the order it needs. */
  private readonly hold = new FlowHold(
    (id, score, frame, attention, kind) => this.raise(id, score, frame, attention, kind),
    (id, score) => this.lower(id, score),
  );
  /** Packets before this sequence number have had the flow verdict; those from head on wait out the look-back. */
  private heldHead = 0;
  /** The latest capture time among packets that had the verdict, and the wall clock (ms) when it was reached. */
  private heldTs = -Infinity;
  // Set from the start to a time (a double, where V8 would keep 0 as a small integer): its first
  // Date.now() would otherwise change the field's representation and deoptimize the per-packet
  // path mid-run (push, seen in --trace-deopt). Its value matters only after heldTs is set.
  private heldWallMs = Date.now();

  /** The actor verdict, applied as packets are handed on (null: no alert threshold given, or no verdicts). */
  private readonly actorHold: ActorHold | null;

  /**
   * `verdicts` false: packets keep the model's own scores (the scoring experiments replay the
   * alert rules over them). `alertThreshold`: what the actor verdict raises the packets it holds
   * to (actor-hold.ts); null: no actor verdict.
   */
  constructor(private readonly F: number, initialCapacity = 1 << 15, private readonly verdicts = true, alertThreshold: number | null = null) {
    this.actorHold = verdicts && alertThreshold !== null ? new ActorHold(alertThreshold) : null;
    const cap = 1 << Math.ceil(Math.log2(Math.max(2, initialCapacity)));
    this.slots = new PacketSlots(cap);
    this.mask = cap - 1;
    this.kept = new KeptRows(F);
  }

  get size(): number {
    return this.tail - this.head;
  }

  /** A new model's threshold (the daemon swaps models): the actor verdict raises to it from now on. */
  setAlertThreshold(threshold: number): void {
    if (this.actorHold !== null) this.actorHold.threshold = threshold;
  }

  /** Add a packet (flow, service, actor, target: its flowKey, serviceKey, actorKey and targetKey, for the verdicts); returns its sequence number. */
  push(raw: RawPacket, ts: number, flow = NO_FLOW, service = NO_FLOW, actor = NO_FLOW, target = NO_FLOW): number {
    if (this.tail - this.head === this.slots.cap) this.grow();
    const seq = this.tail++;
    this.slots.put(seq & this.mask, raw, ts, flow, service, actor, target);
    return seq;
  }

  /**
   * The packet's deviation from normal (sum of |z| of its scaled features, from
   * Scaler.transformInto): names the packet within an attention step (see applyWindow).
   */
  setDeviation(seq: number, deviation: number): void {
    this.slots.deviations[seq & this.mask] = deviation;
  }

  /**
   * Apply one scored window: packets [startSeq, endSeq]; per window row (length W, padding rows
   * first, at rowOffset) the packet's probability and its attention weight. A packet's score is
   * the max of its own probability over the windows holding it. The attention frame is the
   * packet the attention weighted most; the model pools several packets per attention step,
   * which then share one weight, and among those the packet the model scored highest is the one
   * named (then the larger deviation, see setDeviation; then the first). When the window's top
   * packet score >= keepAtOrAbove, each packet's scaled row is kept from `scaled` (the window's
   * W*F model input, at scaledOffset) for scaledRow().
   */
  applyWindow(startSeq: number, endSeq: number, packetScores: Float32Array, attention: Float32Array, rowOffset: number, W: number,
    scaled: Float32Array | null = null, scaledOffset = 0, keepAtOrAbove = Infinity): void {
    const { scores, attFrames, frames, deviations } = this.slots;
    const len = endSeq - startSeq + 1;
    const pad = W - len;
    let top = attention[rowOffset + pad];
    let windowMax = -1;
    for (let r = pad; r < W; r++) {
      if (attention[rowOffset + r] > top) top = attention[rowOffset + r];
      if (packetScores[rowOffset + r] > windowMax) windowMax = packetScores[rowOffset + r];
    }
    let peakRow = -1;
    let peakScore = -1;
    let peakDeviation = -1;
    for (let r = pad; r < W; r++) {
      if (attention[rowOffset + r] !== top) continue;
      const sc = packetScores[rowOffset + r];
      const d = deviations[(startSeq + (r - pad)) & this.mask];
      if (sc > peakScore || (sc === peakScore && d > peakDeviation)) {
        peakScore = sc;
        peakDeviation = d;
        peakRow = r;
      }
    }
    if (peakRow < 0) peakRow = pad; // NaN weights: no row compares equal
    const peakFrame = frames[(startSeq + (peakRow - pad)) & this.mask];
    const from = startSeq > this.head ? startSeq : this.head;
    const keep = scaled !== null && windowMax >= keepAtOrAbove;
    const { rowIds } = this.slots;
    for (let s = from; s <= endSeq && s < this.tail; s++) {
      const k = s & this.mask;
      const score = packetScores[rowOffset + pad + s - startSeq];
      if (score > scores[k]) {
        scores[k] = score;
        attFrames[k] = peakFrame;
      }
      // Windows come in order and their starts increase, so rows are kept in sequence order.
      if (keep && rowIds[k] < 0) rowIds[k] = this.kept.add(scaled, scaledOffset + (pad + s - startSeq) * this.F);
    }
  }

  /**
   * Packets with sequence < beforeSeq (all when Infinity) have every window scored: give them the
   * flow verdict, then hand to `visit`, as a FinalPackets view, those a later opening can no
   * longer raise (flow-hold.ts, look-back): more than lookBackSeconds of capture time older than
   * the latest packet with a verdict, or beyond lookBackPackets of them (a flood waits no longer
   * than its next 32k packets); all when beforeSeq is Infinity. Then release them. Returns how
   * many were handed.
   *
   * `wallNowMs` (live capture only): capture time is taken to run on with the wall clock since the
   * latest packet with a verdict, so on a quiet network the waiting packets are handed on
   * lookBackSeconds after it rather than when traffic comes again. Replay never passes it: its
   * scores do not depend on how fast it runs.
   */
  takeFinal(beforeSeq: number, visit: (final: FinalPackets) => void, wallNowMs?: number): number {
    const ready = beforeSeq < this.tail ? beforeSeq : this.tail;
    const { scores, attFrames, heldFrames, heldKinds, flows, services, times, frames } = this.slots;
    for (let s = this.heldHead; s < ready; s++) {
      const k = s & this.mask;
      if (this.verdicts) {
        scores[k] = this.hold.apply(flows[k], services[k], times[k], frames[k], scores[k], attFrames[k], s);
        attFrames[k] = this.hold.heldAttention;
        heldFrames[k] = this.hold.heldFrame;
        heldKinds[k] = this.hold.heldKind === 'service' ? HELD_SERVICE : 0;
      }
      if (times[k] > this.heldTs) {
        this.heldTs = times[k];
        this.heldWallMs = -1;
      }
    }
    if (ready > this.heldHead) this.heldHead = ready;
    if (this.heldWallMs < 0) this.heldWallMs = Date.now();
    let end = this.head;
    if (beforeSeq === Infinity) end = this.heldHead;
    else {
      const { lookBackSeconds, lookBackPackets } = FLOW_HOLD;
      const now = wallNowMs === undefined ? this.heldTs : this.heldTs + Math.max(0, wallNowMs - this.heldWallMs) / 1000;
      while (end < this.heldHead && (now - times[end & this.mask] > lookBackSeconds || this.heldHead - end > lookBackPackets)) end++;
    }
    const n = end - this.head;
    if (n <= 0) return 0;
    if (this.actorHold !== null) this.applyActorVerdict(this.actorHold, end);
    this.viewFrom = this.head;
    this.length = n;
    try {
      visit(this);
    } finally {
      // Let go of the capture buffers (a read chunk is freed once none of its packets is pending)
      // and of the kept rows.
      for (let s = this.head; s < end; s++) {
        const k = s & this.mask;
        this.slots.buffers[k] = undefined;
        if (this.slots.rowIds[k] >= 0) this.kept.dropThrough(this.slots.rowIds[k]);
      }
      this.head = end;
      this.length = 0;
    }
    return n;
  }

  /** The actor verdict over the packets about to be handed on (their scores are final but for it), in order. */
  private applyActorVerdict(hold: ActorHold, end: number): void {
    const { scores, heldFrames, heldKinds, actors, targets, flows, times, frames } = this.slots;
    for (let s = this.head; s < end; s++) {
      const k = s & this.mask;
      if (scores[k] < 0) continue; // not scored (windows dropped): nothing to judge it by
      const score = hold.apply(actors[k], targets[k], flows[k], times[k], frames[k], scores[k]);
      if (hold.heldFrame >= 0) {
        scores[k] = score;
        heldFrames[k] = hold.heldFrame;
        heldKinds[k] = hold.heldBy === 'target' ? HELD_TARGET : HELD_ACTOR;
      }
    }
  }

  /** A look-back raised packet `seq` (flow-hold.ts): it holds `score` from `frame` unless it has been handed on or holds more. */
  private raise(seq: number, score: number, frame: number, attention: number, kind: 'flow' | 'service'): void {
    if (seq < this.head) return; // handed on already: the look-back horizon makes this rare
    const k = seq & this.mask;
    const { scores } = this.slots;
    if (score <= scores[k]) return;
    scores[k] = score;
    this.slots.attFrames[k] = attention;
    this.slots.heldFrames[k] = frame;
    this.slots.heldKinds[k] = kind === 'service' ? HELD_SERVICE : 0;
  }

  /** Packet `seq` was judged again by its flow's neighbours or a joined start (flow-hold.ts): it now scores `score`. */
  private lower(seq: number, score: number): void {
    if (seq < this.head) return;
    this.slots.scores[seq & this.mask] = score;
  }

  frame(i: number): number {
    return this.slots.frames[(this.viewFrom + i) & this.mask];
  }

  ts(i: number): number {
    return this.slots.times[(this.viewFrom + i) & this.mask];
  }

  score(i: number): number {
    return this.slots.scores[(this.viewFrom + i) & this.mask];
  }

  attentionFrame(i: number): number {
    return this.slots.attFrames[(this.viewFrom + i) & this.mask];
  }

  heldFrom(i: number): number {
    return this.slots.heldFrames[(this.viewFrom + i) & this.mask];
  }

  heldKind(i: number): HeldKind {
    const k = (this.viewFrom + i) & this.mask;
    if (this.slots.heldFrames[k] < 0) return 'own';
    const kind = this.slots.heldKinds[k];
    return kind === HELD_SERVICE ? 'service' : kind === HELD_ACTOR ? 'actor' : kind === HELD_TARGET ? 'target' : 'flow';
  }

  decoded(i: number): DecodedPacket {
    return decode(this.slots.raw((this.viewFrom + i) & this.mask));
  }

  scaledRow(i: number): Float32Array | null {
    const id = this.slots.rowIds[(this.viewFrom + i) & this.mask];
    return id < 0 ? null : this.kept.row(id);
  }

  private grow(): void {
    const old = this.slots;
    const oldMask = this.mask;
    this.slots = new PacketSlots(old.cap * 2);
    this.mask = this.slots.cap - 1;
    for (let s = this.head; s < this.tail; s++) this.slots.copySlot(old, s & oldMask, s & this.mask);
  }
}

const HELD_SERVICE = 1;
const HELD_ACTOR = 2;
const HELD_TARGET = 3;

/** Where a packet's score comes from: itself, or the verdict of another frame (its flow's, its service's, its source's or its destination's). */
export type HeldKind = 'own' | 'flow' | 'service' | 'actor' | 'target';

/** The ring's storage: one typed column per field, `cap` slots. */
class PacketSlots {
  /** The captured record (RawPacket) as columns; its bytes as buffer + offset + length. */
  readonly buffers: Array<ArrayBufferLike | undefined>;
  readonly sources: string[];
  readonly byteOffsets: Float64Array;
  readonly dataLens: Int32Array;
  readonly tsSecs: Float64Array;
  readonly tsNsecs: Int32Array;
  readonly tsDigits: Int32Array;
  readonly capLens: Int32Array;
  readonly origLens: Int32Array;
  readonly linkTypes: Int32Array;
  readonly interfaceIds: Int32Array;
  readonly frames: Float64Array;
  /** What the pipeline adds: time as epoch seconds, max score, attention peak frame, deviation, kept row id (-1 none). */
  readonly times: Float64Array;
  readonly scores: Float32Array;
  readonly attFrames: Float64Array;
  readonly deviations: Float32Array;
  readonly rowIds: Float64Array;
  /** The verdicts' inputs and result: flowKey, serviceKey, actorKey and targetKey (NO_FLOW = none), frame whose score is held (-1 = own), held from the flow (0), the service (HELD_SERVICE), the actor (HELD_ACTOR) or the target (HELD_TARGET). */
  readonly flows: Float64Array;
  readonly services: Float64Array;
  readonly actors: Float64Array;
  readonly targets: Float64Array;
  readonly heldFrames: Float64Array;
  readonly heldKinds: Uint8Array;

  constructor(readonly cap: number) {
    this.buffers = new Array<ArrayBufferLike | undefined>(cap).fill(undefined);
    this.sources = new Array<string>(cap).fill('');
    this.byteOffsets = new Float64Array(cap);
    this.dataLens = new Int32Array(cap);
    this.tsSecs = new Float64Array(cap);
    this.tsNsecs = new Int32Array(cap);
    this.tsDigits = new Int32Array(cap);
    this.capLens = new Int32Array(cap);
    this.origLens = new Int32Array(cap);
    this.linkTypes = new Int32Array(cap);
    this.interfaceIds = new Int32Array(cap);
    this.frames = new Float64Array(cap);
    this.times = new Float64Array(cap);
    this.scores = new Float32Array(cap);
    this.attFrames = new Float64Array(cap);
    this.deviations = new Float32Array(cap);
    this.rowIds = new Float64Array(cap);
    this.flows = new Float64Array(cap);
    this.services = new Float64Array(cap);
    this.actors = new Float64Array(cap);
    this.targets = new Float64Array(cap);
    this.heldFrames = new Float64Array(cap);
    this.heldKinds = new Uint8Array(cap);
  }

  put(k: number, raw: RawPacket, ts: number, flow: number, service: number, actor: number, target: number): void {
    this.buffers[k] = raw.data.buffer;
    this.sources[k] = raw.source;
    this.byteOffsets[k] = raw.data.byteOffset;
    this.dataLens[k] = raw.data.length;
    this.tsSecs[k] = raw.tsSec;
    this.tsNsecs[k] = raw.tsNsec;
    this.tsDigits[k] = raw.tsDigits;
    this.capLens[k] = raw.capLen;
    this.origLens[k] = raw.origLen;
    this.linkTypes[k] = raw.linkType;
    this.interfaceIds[k] = raw.interfaceId;
    this.frames[k] = raw.frame;
    this.times[k] = ts;
    this.scores[k] = -1;
    this.attFrames[k] = -1;
    this.deviations[k] = 0;
    this.rowIds[k] = -1;
    this.flows[k] = flow;
    this.services[k] = service;
    this.actors[k] = actor;
    this.targets[k] = target;
    this.heldFrames[k] = -1;
    this.heldKinds[k] = 0;
  }

  raw(k: number): RawPacket {
    return {
      frame: this.frames[k], tsSec: this.tsSecs[k], tsNsec: this.tsNsecs[k], tsDigits: this.tsDigits[k],
      capLen: this.capLens[k], origLen: this.origLens[k], linkType: this.linkTypes[k], interfaceId: this.interfaceIds[k],
      data: new Uint8Array(this.buffers[k]!, this.byteOffsets[k], this.dataLens[k]), source: this.sources[k],
    };
  }

  copySlot(o: PacketSlots, from: number, to: number): void {
    this.buffers[to] = o.buffers[from];
    this.sources[to] = o.sources[from];
    this.byteOffsets[to] = o.byteOffsets[from];
    this.dataLens[to] = o.dataLens[from];
    this.tsSecs[to] = o.tsSecs[from];
    this.tsNsecs[to] = o.tsNsecs[from];
    this.tsDigits[to] = o.tsDigits[from];
    this.capLens[to] = o.capLens[from];
    this.origLens[to] = o.origLens[from];
    this.linkTypes[to] = o.linkTypes[from];
    this.interfaceIds[to] = o.interfaceIds[from];
    this.frames[to] = o.frames[from];
    this.times[to] = o.times[from];
    this.scores[to] = o.scores[from];
    this.attFrames[to] = o.attFrames[from];
    this.deviations[to] = o.deviations[from];
    this.rowIds[to] = o.rowIds[from];
    this.flows[to] = o.flows[from];
    this.services[to] = o.services[from];
    this.actors[to] = o.actors[from];
    this.targets[to] = o.targets[from];
    this.heldFrames[to] = o.heldFrames[from];
    this.heldKinds[to] = o.heldKinds[from];
  }
}
