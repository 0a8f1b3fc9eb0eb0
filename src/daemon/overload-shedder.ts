import { logger } from '../logger';

/** What the daemon measures each time it pushes a slice of packets into the pipeline (and every tick). */
export interface Backlog {
  /** Packets captured and not yet pushed into the pipeline: the intake queues plus batches waiting in the lane. */
  packets: number;
  /** Batches of windows handed to the scoring worker and not yet settled, and the most there may be before windows are dropped. */
  inFlight: number;
  maxInFlight: number;
}

export interface ShedOptions {
  /** The configured stride (level 0); level L scores one due window in 2^L, i.e. stride × 2^L. */
  stride: number;
  /** Highest level (default 6: one window in 64). */
  maxLevel?: number;
  /** A backlog of this many packets is overload (default 16,384: ~0.1 s at 150k packets/s; the intake queue holds 65,536). */
  highPackets?: number;
  /** Beyond highPackets, every this many more packets waiting is one more level at once, growing or not (default 8,192). */
  stepPackets?: number;
  /** At or below this many the pipeline keeps up (default 2,048). */
  lowPackets?: number;
  /** A raise is decided at most once per this many packets pushed, so the last one has time to act (default 8,192). */
  checkPackets?: number;
  /** The backlog must stay low this long before the level steps down (default 0.5 s; doubled after each step down that had to be undone at once, up to 16 times that). */
  downAfterMs?: number;
  /** Level 0 this long ends the episode: the "overload over" line (default 5 s). */
  recoveredAfterMs?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Overload control for the live daemon: beyond its capacity it sheds model work (scores fewer
 * windows: a larger effective stride) before any packet is lost in libpcap's ring or the intake
 * queue. Feature extraction, flow and context state still see every packet.
 *
 * The level is chosen from a measured signal, the pipeline's backlog, with hysteresis:
 * - at once to at least level 1 + (backlog − `highPackets`) / `stepPackets` when the backlog is at
 *   least `highPackets` (a burst: 16k packets waiting is level 1, 24k level 2, … 57k level 6);
 * - up one more level when the backlog is at least `highPackets` and has grown since the last
 *   decision, or when every in-flight slot for windows but one is taken (the next batch would be
 *   dropped); at most once per `checkPackets` packets pushed, so the last raise has time to act;
 * - down one level once the backlog has stayed at or below `lowPackets` (and at most half the
 *   in-flight slots taken) for `downAfterMs` (0.5 s: from the top level back to 0 in 3 s once the
 *   pipeline has caught up); a step down followed within twice that time by a
 *   raise doubles the wait for the next one, so a rate just above capacity does not make the
 *   level flap between two values every second.
 * One warning when shedding starts, one info line when it is over (level 0 for `recoveredAfterMs`),
 * level changes in between at debug level.
 */
export class OverloadShedder {
  level = 0;
  /** The highest level reached since start, and the time spent above level 0 (seconds). */
  maxLevelSeen = 0;
  shedSeconds = 0;
  private readonly o: Required<ShedOptions>;
  private sinceCheck = 0;
  private lastBacklog = 0;
  private lowSince: number | null = null;
  private downDelay: number;
  private lastDownAt = -Infinity;
  private lastAt: number | null = null;
  /** An episode: from the first raise to a level 0 held for recoveredAfterMs. */
  private episode: { startMs: number; zeroSince: number | null; maxLevel: number; windowsAtStart: number; packetsAtStart: number } | null = null;

  constructor(
    opts: ShedOptions,
    private readonly totals: () => { windowsShed: number; packetsFilled: number } = () => ({ windowsShed: 0, packetsFilled: 0 }),
    private readonly log: Pick<typeof logger, 'warn' | 'info' | 'debug'> = logger,
  ) {
    this.o = {
      maxLevel: 6, highPackets: 16_384, stepPackets: 8_192, lowPackets: 2_048, checkPackets: 8_192, downAfterMs: 500, recoveredAfterMs: 5_000,
      ...opts,
    };
    this.downDelay = this.o.downAfterMs;
  }

  /** Windows due at the stride per window scored at this level. */
  get factor(): number {
    return 2 ** this.level;
  }

  get stride(): number {
    return this.o.stride * this.factor;
  }

  /** The largest stride used since start. */
  get maxStride(): number {
    return this.o.stride * 2 ** this.maxLevelSeen;
  }

  /**
   * The backlog measured now, after `pushed` more packets went into the pipeline (0 from the
   * daemon's tick). Returns the level to run at.
   */
  observe(b: Backlog, pushed: number, now = Date.now()): number {
    if (this.lastAt !== null && this.level > 0) this.shedSeconds += (now - this.lastAt) / 1000;
    this.lastAt = now;
    this.sinceCheck += pushed;
    const o = this.o;
    const slotsFull = b.maxInFlight > 1 && b.inFlight >= b.maxInFlight - 1;
    const high = b.packets >= o.highPackets;
    const floor = high ? Math.min(o.maxLevel, 1 + Math.floor((b.packets - o.highPackets) / o.stepPackets)) : 0;
    if (floor > this.level) {
      this.raise(b, now, floor);
      return this.level;
    }
    if (this.sinceCheck >= o.checkPackets) {
      this.sinceCheck = 0;
      const growing = b.packets > this.lastBacklog;
      this.lastBacklog = b.packets;
      if (this.level < o.maxLevel && ((high && growing) || slotsFull)) {
        this.raise(b, now, this.level + 1);
        return this.level;
      }
    }
    if (b.packets <= o.lowPackets && b.inFlight <= b.maxInFlight / 2) {
      this.lowSince ??= now;
      if (this.level > 0 && now - this.lowSince >= this.downDelay) {
        this.level--;
        this.lowSince = now;
        this.lastDownAt = now;
        this.log.debug(`overload: shed level ${this.level + 1} → ${this.level} (stride ${this.stride}): the backlog stayed at ${fmt(b.packets)} packets or fewer`);
      }
    } else {
      this.lowSince = null;
    }
    this.checkEpisode(now);
    return this.level;
  }

  private raise(b: Backlog, now: number, to: number): void {
    if (now - this.lastDownAt < 2 * this.downDelay) this.downDelay = Math.min(this.downDelay * 2, 16 * this.o.downAfterMs);
    const from = this.level;
    this.level = to;
    this.sinceCheck = 0;
    this.lastBacklog = b.packets;
    this.lowSince = null;
    if (this.level > this.maxLevelSeen) this.maxLevelSeen = this.level;
    const why = `${fmt(b.packets)} packets waiting, ${b.inFlight} of ${b.maxInFlight} window batches in flight`;
    if (!this.episode) {
      const t = this.totals();
      this.episode = { startMs: now, zeroSince: null, maxLevel: this.level, windowsAtStart: t.windowsShed, packetsAtStart: t.packetsFilled };
      this.log.warn(`overload: the pipeline is falling behind (${why}); shedding model work instead of losing packets: ` +
        `scoring one window in ${this.factor} (stride ${this.o.stride} → ${this.stride}), more if needed; every packet is still captured, ` +
        'counted and kept in flow and context state, and packets in no scored window take the nearest scored window\'s median score ' +
        '(lln_shed_level, lln_windows_shed_total; see "Overload" in docs/daemon.md)');
    } else {
      this.episode.zeroSince = null;
      this.episode.maxLevel = Math.max(this.episode.maxLevel, this.level);
      this.log.debug(`overload: shed level ${from} → ${this.level} (stride ${this.stride}): ${why}`);
    }
  }

  private checkEpisode(now: number): void {
    const e = this.episode;
    if (!e) return;
    if (this.level > 0) {
      e.zeroSince = null;
      return;
    }
    e.zeroSince ??= now;
    if (now - e.zeroSince < this.o.recoveredAfterMs) return;
    const t = this.totals();
    this.log.info(`overload over: scoring every window again (stride ${this.o.stride}) for ${Math.round(this.o.recoveredAfterMs / 1000)} s; ` +
      `shedding lasted ${((e.zeroSince - e.startMs) / 1000).toFixed(1)} s, up to one window in ${2 ** e.maxLevel} (stride ${this.o.stride * 2 ** e.maxLevel}): ` +
      `${fmt(t.windowsShed - e.windowsAtStart)} windows not scored, ${fmt(t.packetsFilled - e.packetsAtStart)} packets in no scored window`);
    this.episode = null;
    this.downDelay = this.o.downAfterMs;
  }
}
