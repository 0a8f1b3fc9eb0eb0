import { decode, decodeInto, type DecodeCounters, type DecodedPacket } from '../capture/decode';
import type { RawPacket } from '../capture/raw-packet';
import { FeatureExtractor } from '../features/feature-extractor';
import type { Scaler } from '../features/scaler';
import { WindowBuilder } from '../features/window-builder';
import type { ScoreResult, WindowScorer } from '../model/scorer-types';
import { logger } from '../logger';
import { actorKey, targetKey } from './actor-hold';
import { FLOW_HOLD, flowKey, serviceKey } from './flow-hold';
import { PendingPackets, type FinalPackets } from './pending-packets';
import { WindowBatchPool, type WindowBatch } from './window-batch';

export interface ScoringPipelineOptions {
  scaler: Scaler;
  scorer: WindowScorer;
  window: number;
  stride: number;
  features: number;
  /** Windows per scoring call (bigger = faster inference, more latency). */
  batchWindows: number;
  /** Batches scored concurrently with feature extraction (2 keeps the worker busy while we parse). */
  maxInFlight?: number;
  /**
   * When every in-flight slot is taken: 'wait' (replay: back-pressure, nothing lost) or 'drop'
   * (live capture: skip scoring this batch of windows, counted in windowsDropped, so intake never
   * stalls and memory stays bounded).
   */
  whenBusy?: 'wait' | 'drop';
  /**
   * Packets in a window scoring at or above this keep their scaled feature row, for
   * FinalPackets.scaledRow (explanations): the alert threshold. Default: none kept.
   */
  keepRowsAtOrAbove?: number;
  /** Decode problems are counted here (the pipeline decodes every packet it is given). */
  counters?: DecodeCounters;
  /** false: no flow verdict, every packet keeps the model's own score (scoring experiments). Default true. */
  verdicts?: boolean;
  /** The alert threshold, which the actor verdict raises the packets it holds to (actor-hold.ts). Unset: no actor verdict. */
  alertThreshold?: number;
  /**
   * Live capture under overload (setShedFactor, windows dropped when busy): a packet that no
   * scored window covers gets the median score of the nearest scored window instead of none
   * (-1). Replay never leaves such packets (stride <= window, nothing dropped). Default false.
   */
  fillGaps?: boolean;
  /** Called with packets whose score is final, in frame order; the view is valid during the call only. */
  onFinal: (packets: FinalPackets) => void;
}

interface InFlight {
  batch: WindowBatch;
  result: Promise<ScoreResult>;
}

/**
 * decode → features → scale → windows → batched scoring → per-packet max score → flow verdict.
 * The same FeatureExtractor/Scaler/WindowBuilder chain as training: no train/serve skew.
 *
 * The per-packet path allocates nothing that outlives the packet's own decode: the raw feature
 * row goes into one scratch row and the scaled one straight into a pooled batch's rows, from
 * which the scorer cuts the due windows (window-batch.ts).
 */
export class ScoringPipeline {
  readonly extractor = new FeatureExtractor();
  private readonly builder: WindowBuilder;
  private readonly pending: PendingPackets;
  private readonly pool: WindowBatchPool;
  /** The current packet's raw features (only its scaled row outlives it). */
  private readonly featureRow: Float32Array;
  /**
   * The packet being pushed, decoded in place (decodeInto): nothing of it outlives its turn in
   * push's loop (not even across the await there), and a new object per packet was ~30% of the
   * bytes the main thread allocated.
   */
  private decoded: DecodedPacket | null = null;
  private batch: WindowBatch | null = null;
  /**
   * The last W rows of the batch handed over last, which the next batch starts with: its first
   * windows reach back into them (a batch's buffer is the worker's once handed over).
   */
  private readonly carry: Float32Array;
  private carryRows = 0;
  private inFlight: InFlight[] = [];
  private draining: Promise<void> | null = null;
  packets = 0;
  windowsScored = 0;
  windowsDropped = 0;
  /** Windows due at the configured stride that were not scored because of setShedFactor. */
  windowsShed = 0;
  /** Packets that no scored window covered, scored with the nearest scored window's median (fillGaps). */
  packetsFilled = 0;
  /** Score one due window in this many (1: every one; overload shedding raises it). */
  private shedFactor = 1;
  /** Due windows skipped since the last one scored, while shedding. */
  private shedSkipped = 0;
  /**
   * Windows per scoring call: batchWindows, divided by the shed factor, so that a batch spans as
   * many packets while shedding as without: a batch of 256 windows one in 64 apart would span a
   * million packets, and settling it (flow verdicts, alert stage) would hold the main thread
   * for a second while libpcap's ring overflows.
   */
  private batchLimit: number;
  /** fillGaps: the last packet covered by an applied window (-1: none yet), and that window's scores. */
  private coveredEnd = -1;
  private lastScores: Float32Array | null = null;
  private lastRow = 0;
  private lastPad = 0;
  private readonly fillScores: Float32Array;
  private readonly fillAttention: Float32Array;
  private readonly medianScratch: Float32Array;

  constructor(private o: ScoringPipelineOptions) {
    this.builder = new WindowBuilder(o.window, o.stride, o.features);
    // Sized for what will be pending (the ring doubles when full, copying every slot): the
    // packets of the batches in flight, the one filling, the window and the look-back's packets.
    const pendingAtMost = o.batchWindows * o.stride * ((o.maxInFlight ?? 2) + 1) + o.window + FLOW_HOLD.lookBackPackets;
    this.pending = new PendingPackets(o.features, pendingAtMost, o.verdicts ?? true, o.alertThreshold ?? null);
    this.featureRow = new Float32Array(o.features);
    // Rows a batch can need: the W carried over, then at most batchWindows windows S apart (shedding
    // takes fewer windows as many times farther apart; makeRoom covers a shed factor lowered mid-batch).
    const rowCapacity = o.batchWindows * o.stride + o.window;
    this.pool = new WindowBatchPool(o.batchWindows, rowCapacity, o.features, (o.maxInFlight ?? 2) + 1); // in flight + the one filling
    this.carry = new Float32Array(o.window * o.features);
    this.batchLimit = o.batchWindows;
    this.fillScores = new Float32Array(o.window);
    this.fillAttention = new Float32Array(o.window); // all equal: the fill names its most deviating packet
    this.medianScratch = new Float32Array(o.window);
  }

  /**
   * Overload shedding (live capture only): score one window in `factor` of those due at the
   * stride, i.e. an effective stride of factor × stride. Above the window length some packets
   * are in no scored window; with fillGaps they take the nearest scored window's median score.
   * 1 restores every window. Replay never calls this: its scores must not depend on speed.
   */
  setShedFactor(factor: number): void {
    this.shedFactor = Math.max(1, Math.floor(factor));
    if (this.shedSkipped >= this.shedFactor) this.shedSkipped = this.shedFactor - 1;
    this.batchLimit = Math.max(1, Math.floor(this.o.batchWindows / this.shedFactor));
  }

  /**
   * How many batches may be in flight from now on (replay raises it while its model loads: see
   * run-replay.ts). Lowered, each dispatch settles one batch more than it hands over until
   * down to it, and the batches' buffers beyond it go when they come back.
   */
  setMaxInFlight(n: number): void {
    this.o.maxInFlight = n;
    this.pool.keep = n + 1; // in flight + the one filling
  }

  /** Batches of windows handed to the scorer and not yet settled, and how many may be. */
  get inFlightBatches(): number {
    return this.inFlight.length;
  }

  get maxInFlight(): number {
    return this.o.maxInFlight ?? 2;
  }

  /** Feed captured packets (frame numbers set). Resolves once back-pressure allows more input. */
  async push(raws: RawPacket[]): Promise<void> {
    const { extractor, builder, pending, featureRow } = this;
    const counters = this.o.counters;
    const F = this.o.features;
    for (let i = 0; i < raws.length; i++) {
      if (this.batch !== null && this.batch.rowCount === this.batch.rowCapacity) await this.makeRoom();
      const raw = raws[i];
      const p = this.decoded === null ? (this.decoded = decode(raw)) : decodeInto(this.decoded, raw);
      counters?.add(p);
      const seq = pending.push(raw, p.ts, flowKey(p), serviceKey(p), actorKey(p), targetKey(p));
      extractor.extract(p, featureRow, 0);
      const b = this.batch ?? this.startBatch();
      pending.setDeviation(seq, this.o.scaler.transformInto(featureRow, 0, b.rows, b.rowCount * F));
      b.rowCount++;
      this.packets++;
      if (builder.commit(seq)) {
        if (this.shedFactor > 1 && this.shedSkipped < this.shedFactor - 1) {
          this.shedSkipped++;
          this.windowsShed++;
        } else {
          this.shedSkipped = 0;
          if (this.addWindow()) await this.dispatch();
        }
      }
    }
  }

  /** Add the due window (the W rows ending at the newest) to the current batch; true when the batch is to be scored (full, or as many windows as shedding allows). */
  private addWindow(): boolean {
    const b = this.batch ?? this.startBatch();
    this.builder.takeWindow();
    b.startSeq[b.count] = this.builder.startId;
    b.endSeq[b.count] = this.builder.endId;
    b.endRow[b.count] = b.rowCount - 1;
    b.count++;
    return b.count >= this.batchLimit;
  }

  /** A new current batch, starting with the rows carried over from the last one. */
  private startBatch(): WindowBatch {
    const b = this.pool.take();
    b.rows.set(this.carry.subarray(0, this.carryRows * this.o.features));
    b.rowCount = this.carryRows;
    return (this.batch = b);
  }

  /**
   * The current batch's rows are full before it has its windows (a shed factor lowered
   * mid-batch): score it as it is, or, with no window in it yet, keep only the last W rows, as far
   * back as a window can still reach.
   */
  private async makeRoom(): Promise<void> {
    const b = this.batch!;
    if (b.count > 0) {
      await this.dispatch();
      return;
    }
    const F = this.o.features;
    const keep = Math.min(this.o.window, b.rowCount);
    b.rows.copyWithin(0, (b.rowCount - keep) * F, b.rowCount * F);
    b.rowCount = keep;
  }

  /** End of input: score the tail window and everything in flight, release every packet. */
  async finish(): Promise<void> {
    if (this.builder.tailDue()) this.addWindow();
    // Settle first: with whenBusy 'drop' and every slot taken, dispatch would drop the tail batch,
    // and at the end of input (daemon SIGTERM) there is no reason to drop anything.
    await this.idle();
    while (this.inFlight.length > 0) await this.settleOldest();
    await this.dispatch();
    await this.idle();
    while (this.inFlight.length > 0) await this.settleOldest();
    this.pending.takeFinal(Infinity, this.o.onFinal);
  }

  /** Packets waiting for a score or for their look-back to pass (queue depth, for metrics). */
  get pendingPackets(): number {
    return this.pending.size;
  }

  /** Score the windows collected so far without waiting for a full batch (live: bounded latency). */
  async flushBatch(): Promise<void> {
    await this.dispatch();
  }

  /**
   * Live capture, on a timer: hand on the packets whose look-back has passed by the wall clock
   * (PendingPackets.takeFinal), so a quiet network's alerts do not wait for its next packets.
   */
  handOnIdle(): void {
    this.pending.takeFinal(-1, this.o.onFinal, Date.now());
  }

  /** Swap the model (SIGHUP reload) and its alert threshold (rows kept, the actor verdict); batches in flight finish on the old one. */
  setScorer(scorer: WindowScorer, scaler: Scaler, threshold?: number): void {
    this.o.scorer = scorer;
    this.o.scaler = scaler;
    this.o.keepRowsAtOrAbove = threshold;
    if (threshold !== undefined) this.pending.setAlertThreshold(threshold);
  }

  private async dispatch(): Promise<void> {
    const batch = this.batch;
    if (batch === null || batch.count === 0) return;
    const F = this.o.features;
    const keep = Math.min(this.o.window, batch.rowCount);
    this.carry.set(batch.rows.subarray((batch.rowCount - keep) * F, batch.rowCount * F));
    this.carryRows = keep;
    this.batch = null;
    const maxInFlight = this.o.maxInFlight ?? 2;
    if (this.o.whenBusy === 'drop' && this.inFlight.length >= maxInFlight) {
      this.windowsDropped += batch.count;
      this.pool.give(batch, batch.rows);
      return;
    }
    this.inFlight.push({ batch, result: this.o.scorer.scoreRows(batch.rows, batch.endRow, batch.count) });
    if (this.o.whenBusy === 'drop') {
      // Settle finished jobs in the background; never block intake.
      this.drainInBackground();
      return;
    }
    if (this.inFlight.length > maxInFlight) {
      // Lowered below what is in flight (setMaxInFlight): down one batch per batch handed over,
      // rather than waiting here for the whole surplus to be scored at once.
      await this.settleOldest();
      await this.settleOldest();
      return;
    }
    while (this.inFlight.length >= maxInFlight) await this.settleOldest();
  }

  private drainInBackground(): void {
    if (this.draining) return;
    this.draining = (async () => {
      try {
        while (this.inFlight.length > 0) await this.settleOldest();
      } finally {
        this.draining = null;
      }
    })();
    this.draining.catch((e) => logger.error(`scoring failed: ${(e as Error).message}`));
  }

  /** Wait for background scoring to settle (daemon shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Packets [from, to] are in no scored window (windows shed or dropped): each gets the median
   * packet score of the nearer of the two scored windows around the gap (the one before it, when
   * there is one, and the one at `row` of `next` after it). A flood or scan fills the windows
   * around it, so its unscored packets stay anomalous; one odd packet in a window does not spread
   * to the stretch beside it. Applied as windows of at most W of those packets, with even
   * attention: the named packet is the stretch's most deviating one. No scaled rows are kept
   * for them (the model never saw them): their explanation is the flow verdict they hold, if any.
   */
  private fillGap(from: number, to: number, next: Float32Array, row: number, nextPad: number): void {
    const W = this.o.window;
    const after = this.median(next, row, nextPad);
    const before = this.lastScores === null ? after : this.median(this.lastScores, this.lastRow, this.lastPad);
    const prevEnd = from - 1, nextStart = to + 1;
    const scores = this.fillScores;
    for (let s = from; s <= to; s += W) {
      const e = Math.min(to, s + W - 1);
      const pad = W - (e - s + 1);
      for (let q = s; q <= e; q++) scores[pad + q - s] = this.lastScores !== null && q - prevEnd <= nextStart - q ? before : after;
      this.pending.applyWindow(s, e, scores, this.fillAttention, 0, W);
    }
    this.packetsFilled += to - from + 1;
  }

  /** Median (the upper one of an even count) of a scored window's real rows. */
  private median(scores: Float32Array, row: number, pad: number): number {
    const W = this.o.window;
    const n = W - pad;
    const m = this.medianScratch.subarray(0, n);
    m.set(scores.subarray(row + pad, row + W));
    m.sort();
    return m[n >> 1];
  }

  private async settleOldest(): Promise<void> {
    const job = this.inFlight.shift();
    if (!job) return;
    const { batch } = job;
    const r = await job.result;
    const W = this.o.window;
    const F = this.o.features;
    // The scaled rows, for the rows kept for explanations: a worker scorer hands them back, an
    // in-thread one never took them.
    const scaled = r.input ?? (batch.rows.byteLength > 0 ? batch.rows : null);
    const keepAt = this.o.keepRowsAtOrAbove ?? Infinity;
    const fill = this.o.fillGaps === true;
    for (let i = 0; i < batch.count; i++) {
      const start = batch.startSeq[i], end = batch.endSeq[i];
      if (fill) {
        const pad = W - (end - start + 1);
        if (start > this.coveredEnd + 1) this.fillGap(this.coveredEnd + 1, start - 1, r.scores, i * W, pad);
        if (end > this.coveredEnd) this.coveredEnd = end;
        this.lastScores = r.scores;
        this.lastRow = i * W;
        this.lastPad = pad;
      }
      // Where the window's first row, padding included, would be in the rows.
      this.pending.applyWindow(start, end, r.scores, r.attention, i * W, W, scaled, (batch.endRow[i] - W + 1) * F, keepAt);
    }
    this.windowsScored += batch.count;
    const lastStart = batch.startSeq[batch.count - 1];
    // A worker scorer hands the transferred buffer back; an in-thread one never took ours.
    this.pool.give(batch, r.input ?? (batch.rows.byteLength > 0 ? batch.rows : undefined));
    // Windows are scored in order: packets before the last scored window's start are final.
    this.pending.takeFinal(lastStart, this.o.onFinal);
  }
}
