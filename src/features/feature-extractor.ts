import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { ArpTracker } from './arp-tracker';
import type { ContextOptions } from './context-options';
import { resolveContextOptions } from './context-options';
import { ContextTracker } from './context-tracker';
import { fastLog1p } from './fast-log1p';
import { writePacketFeatures } from './packet-features';
import { FEATURE_COUNT, FEATURE_INDEX as I, FEATURE_SCHEMA } from './schema';

/** Per column, the schema's transform: 0 as is, 1 log1p, 2 signed log1p. */
const AS_IS = 0;
const LOG1P = 1;
const SIGNED_LOG1P = 2;
const TRANSFORM = Uint8Array.from(FEATURE_SCHEMA.features, (f) =>
  f.transform === 'log1p' ? LOG1P : f.transform === 'signed_log1p' ? SIGNED_LOG1P : AS_IS);

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
  /** The row as raw values, in doubles: the writers fill it, then one pass applies the schema's transforms. */
  private readonly row = new Float64Array(FEATURE_COUNT);
  /** Last finite timestamp, used in place of a non-finite one. */
  private tLast = 0;
  private nonFinite = 0;

  constructor(opts?: ContextOptions) {
    const o = resolveContextOptions(opts);
    this.context = new ContextTracker(o);
    this.arp = new ArpTracker(o.maxArpRequests);
  }

  extract(p: DecodedPacket, out: Float32Array, offset: number): void {
    const row = this.row;
    row.fill(0);
    const t = Number.isFinite(p.ts) ? p.ts : this.tLast;
    this.tLast = t;

    writePacketFeatures(p, row, 0);
    if (p.l3 === 'arp') {
      const v = this.arp.observe(p.arpOp, p.arpSenderIp, p.arpTargetIp, t);
      if (v.gratuitous) row[I.arp_gratuitous] = 1;
      if (v.unsolicitedReply) row[I.arp_unsolicited_reply] = 1;
    }
    this.context.write(p, t, row, 0);

    // The schema's transforms for the whole row in one loop, with one call site: TurboFan inlines
    // fastLog1p there (scattered over the writers, the calls were left out of line and boxed
    // every double they were passed). The float64 → float32 store rounds once.
    // Last line of defence: the model must never see NaN/Infinity. One float64 sum detects any
    // (NaN or ±Infinity anywhere makes it non-finite; 73 float32 magnitudes cannot overflow a
    // double), so the per-column fix-up runs only when something is wrong.
    let sum = 0;
    for (let i = 0; i < FEATURE_COUNT; i++) {
      let x = row[i];
      const kind = TRANSFORM[i];
      if (kind !== AS_IS && x !== 0) {
        const flip = kind === SIGNED_LOG1P && x < 0;
        const y = fastLog1p(flip ? -x : x);
        x = flip ? -y : y;
      }
      out[offset + i] = x;
      sum += out[offset + i];
    }
    if (sum - sum !== 0) this.zeroNonFinite(out, offset, offset + FEATURE_COUNT);
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
