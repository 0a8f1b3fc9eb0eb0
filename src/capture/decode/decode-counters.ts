import type { DecodedPacket } from './decoded-packet';

/**
 * Counts decoded packets and their decode problems by reason code (Zeek's weird.log as
 * numbers), for metrics and end-of-run summaries.
 */
export class DecodeCounters {
  total = 0;
  errors = 0;
  private readonly counts = new Map<string, number>();

  add(p: DecodedPacket): void {
    this.total++;
    if (p.error === null) return;
    this.errors++;
    this.counts.set(p.error, (this.counts.get(p.error) ?? 0) + 1);
  }

  /** Reason code → packets with that (first) problem; only reasons seen are present. */
  byReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [reason, n] of this.counts) out[reason] = n;
    return out;
  }
}
