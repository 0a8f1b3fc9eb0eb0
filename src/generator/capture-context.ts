import { closeSync, openSync, writeSync } from 'node:fs';
import { PcapWriter } from '../capture/pcap-writer';
import { LlnError } from '../errors';
import { SeededRandom } from '../seeded-random';
import { Actor, ActorQueue } from './actor-queue';
import type { Network } from './network-model';

/** A frame builder: writes one whole frame into `b` and returns its length. */
export type FrameFn = (b: Uint8Array) => number;

/** Label rows are batched into one write per this many rows. */
const LABEL_BATCH = 65536;

/**
 * Shared state of one generation run: the PRNG, the network, the output files and the actor
 * queue. Every actor draws from the one PRNG in queue order, which is what makes a seed
 * reproduce the capture byte for byte.
 */
export class CaptureContext {
  readonly buf = new Uint8Array(70000);
  /** Random bytes to copy ciphertext-like payloads from (one PRNG call per packet instead of per byte). */
  readonly pool: Uint8Array;
  readonly queue = new ActorQueue();
  packets = 0;
  anomalous = 0;
  /** Simulated time of the packet being emitted now. */
  now = 0;
  private labelsFd: number | null = null;
  private labelRows: string[] = [];

  constructor(
    readonly rng: SeededRandom,
    readonly net: Network,
    private readonly writer: PcapWriter,
    private readonly baseSec: number,
    labelsPath: string | undefined,
  ) {
    this.pool = new Uint8Array(1 << 18);
    for (let i = 0; i < this.pool.length; i += 4) {
      const v = rng.u32();
      this.pool[i] = v & 255;
      this.pool[i + 1] = (v >>> 8) & 255;
      this.pool[i + 2] = (v >>> 16) & 255;
      this.pool[i + 3] = v >>> 24;
    }
    if (labelsPath) {
      try {
        this.labelsFd = openSync(labelsPath, 'w');
      } catch (e) {
        throw new LlnError('LLN_E_OUTPUT', `cannot create labels file ${labelsPath}: ${(e as Error).message}`, { cause: e });
      }
      writeSync(this.labelsFd, 'frame,label,scenario\n');
    }
  }

  /** Schedule an actor (never in the past: the capture must stay in time order). */
  schedule(a: Actor): void {
    if (a.t < this.now) a.t = this.now;
    this.queue.push(a);
  }

  /** A random slice of the byte pool, `len` long (len ≤ pool size). */
  randomBytes(len: number): Uint8Array {
    const start = this.rng.int(this.pool.length - len);
    return this.pool.subarray(start, start + len);
  }

  /** Build and write one frame at the current time. */
  emit(build: FrameFn, scenario: string | null): void {
    const len = build(this.buf);
    const t = this.now;
    const sec = Math.floor(t);
    let nsec = Math.round((t - sec) * 1e9);
    if (nsec > 999_999_999) nsec = 999_999_999;
    this.writer.write(this.baseSec + sec, nsec, this.buf.subarray(0, len));
    this.packets++;
    if (scenario !== null) this.anomalous++;
    if (this.labelsFd !== null) {
      this.labelRows.push(scenario === null ? `${this.packets},0,benign` : `${this.packets},1,${scenario}`);
      if (this.labelRows.length >= LABEL_BATCH) this.flushLabels();
    }
  }

  private flushLabels(): void {
    if (this.labelsFd === null || this.labelRows.length === 0) return;
    writeSync(this.labelsFd, this.labelRows.join('\n') + '\n');
    this.labelRows = [];
  }

  async close(): Promise<void> {
    await this.writer.close();
    this.flushLabels();
    if (this.labelsFd !== null) closeSync(this.labelsFd);
    this.labelsFd = null;
  }
}
