/** What the caller should log now about one interface's capture loss. */
export type LossNotice =
  | { kind: 'losing'; lost: number; sinceMs: number | null }
  | { kind: 'recovered'; quietMs: number };

/**
 * When to tell an operator that capture is losing packets, from a running total of lost
 * packets: at once on the first loss (being blind must not wait for a timer), then at most once
 * per `everyMs` while losses go on, each notice summing what was lost since the previous one, so
 * a sustained overload is one line a minute, not one a second. Once a whole `everyMs` passes
 * without loss, one 'recovered' notice. `now` is passed in so the rule is plain arithmetic.
 */
export class LossWarning {
  private reported = 0;
  private seen = 0;
  private warnedAt: number | null = null;
  private lastLossAt = 0;
  private losing = false;

  constructor(private readonly everyMs = 60_000) {}

  observe(totalLost: number, now: number): LossNotice | null {
    if (totalLost > this.seen) this.lastLossAt = now;
    this.seen = Math.max(this.seen, totalLost);
    const due = this.warnedAt === null || now - this.warnedAt >= this.everyMs;
    if (this.seen > this.reported && (!this.losing || due)) {
      const notice: LossNotice = { kind: 'losing', lost: this.seen - this.reported, sinceMs: this.losing && this.warnedAt !== null ? now - this.warnedAt : null };
      this.reported = this.seen;
      this.warnedAt = now;
      this.losing = true;
      return notice;
    }
    if (this.losing && this.seen === this.reported && now - this.lastLossAt >= this.everyMs) {
      this.losing = false;
      return { kind: 'recovered', quietMs: now - this.lastLossAt };
    }
    return null;
  }
}
