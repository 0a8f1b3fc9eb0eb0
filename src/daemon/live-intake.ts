import type { RawPacket } from '../capture/raw-packet';
import { openLiveCapture, type LivePacketSource } from '../capture/live-source';
import { addPcapStats, ZERO_PCAP_STATS, type PcapStats } from '../capture/pcap-stats';
import { isLlnError } from '../errors';
import { logger } from '../logger';
import type { InterfaceConfig } from './config-schema';
import type { DaemonMetrics } from './metrics';

export interface IntakeHandlers {
  /** Captured packets of one batch, in capture order (decoded by the scoring pipeline). */
  onPackets(iface: string, packets: RawPacket[]): Promise<void>;
  /** The first open succeeded (or failed: err). */
  onFirstOpen(iface: string, err?: unknown): void;
}

/** What one interface lost, over every reopen of its capture. */
export interface IntakeLoss {
  /** libpcap's counters; null while no capture handle has had stats() (cap not patched). */
  pcap: PcapStats | null;
  /** Packets the intake queue turned away (the pipeline fell far behind). */
  queueDropped: number;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Capture on one interface for the daemon's lifetime. When the interface goes down or
 * disappears, log it, back off (1 s doubling to 30 s) and reopen; other interfaces go on.
 */
export class LiveIntake {
  private source: LivePacketSource | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly frames = { n: 0, next: () => ++this.frames.n };
  /** Packets taken from the interface and handed on, over every reopen (the daemon's final count). */
  captured = 0;
  /** Counters of the captures already closed (each reopen starts libpcap's counters at 0). */
  private closedPcap: PcapStats | null = null;
  private closedQueueDrops = 0;

  constructor(
    private readonly cfg: InterfaceConfig,
    private readonly id: number,
    private readonly metrics: DaemonMetrics,
  ) {}

  get name(): string {
    return this.cfg.name;
  }

  /** True while a capture handle is open (not while backing off between reopens). */
  get capturing(): boolean {
    return this.source !== null;
  }

  queueDepth(): number {
    return this.source?.queueDepth() ?? 0;
  }

  /** Runs until stop(); resolves after the last captured batch was handed on. */
  async run(h: IntakeHandlers): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    let first = true;
    const name = this.cfg.name;
    while (!this.stopped) {
      try {
        this.source = openLiveCapture({
          iface: name, interfaceId: this.id, filter: this.cfg.filter, snaplen: this.cfg.snaplen, bufferSize: this.cfg.bufferSize,
          promiscuous: this.cfg.promiscuous, frameCounter: this.frames,
        });
        this.metrics.captureUp.set({ interface: name }, 1);
        if (first) h.onFirstOpen(name);
        first = false;
        backoff = MIN_BACKOFF_MS;
        for await (const batch of this.source) {
          let bytes = 0;
          for (let i = 0; i < batch.length; i++) bytes += batch[i].origLen;
          this.captured += batch.length;
          this.metrics.packetsCaptured.inc({ interface: name }, batch.length);
          this.metrics.bytesCaptured.inc({ interface: name }, bytes);
          await h.onPackets(name, batch);
        }
      } catch (e) {
        if (first) {
          h.onFirstOpen(name, e);
          first = false;
        }
        const msg = isLlnError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e);
        logger.warn(`capture on ${name} stopped (${msg}); retrying in ${backoff / 1000} s`);
      } finally {
        this.retire();
        this.metrics.captureUp.set({ interface: name }, 0);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** Close the current capture and keep its final counters. */
  private retire(): void {
    const src = this.source;
    if (!src) return;
    src.close();
    const p = src.pcapStats();
    if (p) this.closedPcap = addPcapStats(this.closedPcap ?? ZERO_PCAP_STATS, p);
    this.closedQueueDrops += src.stats().queueDrops ?? 0;
    this.source = null;
  }

  /** Loss so far, summed over this interface's captures (libpcap's counters are read now). */
  loss(): IntakeLoss {
    const cur = this.source?.pcapStats() ?? null;
    const pcap = cur && this.closedPcap ? addPcapStats(this.closedPcap, cur) : (cur ?? this.closedPcap);
    return { pcap, queueDropped: this.closedQueueDrops + (this.source?.stats().queueDrops ?? 0) };
  }

  /** Stop capturing: the iterator ends after the packets already captured. */
  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.wake?.();
  }
}
