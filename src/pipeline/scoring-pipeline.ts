import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { FeatureExtractor } from '../features/feature-extractor';
import type { Scaler } from '../features/scaler';
import { WindowBuilder } from '../features/window-builder';
import type { Window } from '../features/window';
import { PendingPackets, type PendingPacket } from './pending-packets';
import type { WindowScorer } from '../model/scorer-types';
import { logger } from '../logger';


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
  /** Called with packets whose score is final, in frame order. */
  onFinal: (packets: PendingPacket[]) => void | Promise<void>;
}

interface InFlight {
  windows: Window[];
  result: Promise<{ scores: Float32Array; attention: Float32Array }>;
}

/**
 * decode → features → scale → windows → batched scoring → per-packet max score.
 * The same FeatureExtractor/Scaler/WindowBuilder chain as training: no train/serve skew.
 */
export class ScoringPipeline {
  readonly extractor = new FeatureExtractor();
  private readonly builder: WindowBuilder;
  private readonly pending = new PendingPackets();
  private batch: Window[] = [];
  private readonly scratch: Float32Array;
  /**
   * Raw rows are views into 8192-row slabs: a Float32Array of its own per packet costs a
   * backing-store allocation each (measured: GC was 20 % of replay time). A slab is freed once
   * every packet viewing it is released.
   */
  private slab = new Float32Array(0);
  private slabPos = 0;
  private inFlight: InFlight[] = [];
  packets = 0;
  windowsScored = 0;
  windowsDropped = 0;

  constructor(private o: ScoringPipelineOptions) {
    this.builder = new WindowBuilder(o.window, o.stride, o.features);
    this.scratch = new Float32Array(o.features);
  }

  /** Feed one decoded batch. Resolves once back-pressure allows more input. */
  async push(packets: DecodedPacket[]): Promise<void> {
    const scaled = this.scratch;
    for (const p of packets) {
      // The raw vector stays with the packet (explanations); the builder copies the scaled one.
      const raw = this.rawRow();
      this.extractor.extract(p, raw, 0);
      scaled.set(raw);
      this.o.scaler.transform(scaled, 0);
      this.pending.push(p, raw);
      this.packets++;
      const w = this.builder.push(p.frame, scaled, 0);
      if (w) {
        this.batch.push(w);
        if (this.batch.length >= this.o.batchWindows) await this.dispatch();
      }
    }
  }

  private rawRow(): Float32Array {
    const F = this.o.features;
    if (this.slabPos + F > this.slab.length) {
      this.slab = new Float32Array(8192 * F);
      this.slabPos = 0;
    }
    const row = this.slab.subarray(this.slabPos, this.slabPos + F);
    this.slabPos += F;
    return row;
  }

  /** End of input: score the tail window and everything in flight, release every packet. */
  async finish(): Promise<void> {
    const w = this.builder.flush();
    if (w) this.batch.push(w);
    // Settle first: with whenBusy 'drop' and every slot taken, dispatch would drop the tail batch,
    // and at the end of input (daemon SIGTERM) there is no reason to drop anything.
    await this.idle();
    while (this.inFlight.length > 0) await this.settleOldest();
    await this.dispatch();
    await this.idle();
    while (this.inFlight.length > 0) await this.settleOldest();
    const rest = this.pending.takeFinal(Infinity);
    if (rest.length) await this.o.onFinal(rest);
  }

  /** Packets waiting for a score (queue depth, for metrics). */
  get pendingPackets(): number {
    return this.pending.size;
  }

  /** Score the windows collected so far without waiting for a full batch (live: bounded latency). */
  async flushBatch(): Promise<void> {
    await this.dispatch();
  }

  /** Swap the model (SIGHUP reload); batches in flight finish on the old one. */
  setScorer(scorer: WindowScorer, scaler: Scaler): void {
    this.o.scorer = scorer;
    this.o.scaler = scaler;
  }

  private async dispatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const windows = this.batch;
    this.batch = [];
    const maxInFlight = this.o.maxInFlight ?? 2;
    if (this.o.whenBusy === 'drop' && this.inFlight.length >= maxInFlight) {
      this.windowsDropped += windows.length;
      return;
    }
    const W = this.o.window;
    const F = this.o.features;
    const buf = new Float32Array(windows.length * W * F);
    for (let i = 0; i < windows.length; i++) buf.set(windows[i].data, i * W * F);
    this.inFlight.push({ windows, result: this.o.scorer.score(buf, windows.length) });
    if (this.o.whenBusy === 'drop') {
      // Settle finished jobs in the background; never block intake.
      this.drainInBackground();
      return;
    }
    while (this.inFlight.length >= maxInFlight) await this.settleOldest();
  }

  private draining: Promise<void> | null = null;

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

  private async settleOldest(): Promise<void> {
    const job = this.inFlight.shift();
    if (!job) return;
    const { scores, attention } = await job.result;
    const W = this.o.window;
    for (let i = 0; i < job.windows.length; i++) {
      const w = job.windows[i];
      this.pending.applyWindow(w.startFrame, w.endFrame, scores[i], attention, i * W, W);
    }
    this.windowsScored += job.windows.length;
    // Windows are scored in order: packets before the last scored window's start are final.
    const last = job.windows[job.windows.length - 1];
    const final = this.pending.takeFinal(last.startFrame);
    if (final.length) await this.o.onFinal(final);
  }
}
