import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { ArpTracker } from './arp-tracker';
import type { ContextOptions } from './context-options';
import { resolveContextOptions } from './context-options';
import { ContextTracker } from './context-tracker';
import { writePacketFeatures } from './packet-features';
import { FEATURE_COUNT, FEATURE_INDEX as I } from './schema';

export interface ExtractorStats {
  hosts: number;
  channels: number;
  sockets: number;
  evictions: number;
  /** Outstanding ARP requests remembered. */
  arpRequests: number;
  /** Feature values that came out NaN/Infinity and were written as 0 (should stay 0). */
  nonFinite: number;
}

/**
 * Packet → FEATURE_COUNT raw features (log-transformed where the schema says, not scaled),
 * updating the context state. train, replay and the daemon all run this one class, so the
 * same packet sequence gives bit-identical vectors everywhere.
 */
export class FeatureExtractor {
  private readonly context: ContextTracker;
  private readonly arp: ArpTracker;
  /** Last finite timestamp, used in place of a non-finite one. */
  private tLast = 0;
  private nonFinite = 0;

  constructor(opts?: ContextOptions) {
    const o = resolveContextOptions(opts);
    this.context = new ContextTracker(o);
    this.arp = new ArpTracker(o.maxArpRequests);
  }

  extract(p: DecodedPacket, out: Float32Array, offset: number): void {
    const end = offset + FEATURE_COUNT;
    out.fill(0, offset, end);
    const t = Number.isFinite(p.ts) ? p.ts : this.tLast;
    this.tLast = t;

    writePacketFeatures(p, out, offset);
    if (p.l3 === 'arp') {
      const v = this.arp.observe(p.arpOp, p.arpSenderIp, p.arpTargetIp, t);
      if (v.gratuitous) out[offset + I.arp_gratuitous] = 1;
      if (v.unsolicitedReply) out[offset + I.arp_unsolicited_reply] = 1;
    }
    this.context.write(p, t, out, offset);

    // Last line of defence: the model must never see NaN/Infinity. One float64 sum detects any
    // (NaN or ±Infinity anywhere makes it non-finite; 73 float32 magnitudes cannot overflow a
    // double), so the per-column fix-up runs only when something is wrong.
    let sum = 0;
    for (let i = offset; i < end; i++) sum += out[i];
    if (sum - sum !== 0) this.zeroNonFinite(out, offset, end);
  }

  private zeroNonFinite(out: Float32Array, offset: number, end: number): void {
    for (let i = offset; i < end; i++) {
      const x = out[i];
      if (x - x !== 0) {
        out[i] = 0;
        this.nonFinite++;
      }
    }
  }

  stats(): ExtractorStats {
    return { ...this.context.stats(), arpRequests: this.arp.size, nonFinite: this.nonFinite };
  }
}
