import type { Actor } from './actor-queue';
import type { CaptureContext } from './capture-context';
import type { LanHost } from './network-model';
import { arpSession, dhcpSession, dnsOnlySession, interactiveSession, ipv6Session, ntpSession, pingSession, webSession } from './benign-sessions';

/** Relative frequency of each session kind a host starts (web browsing dominates, as on real LANs). */
const SESSION_WEIGHTS = [55, 13, 10, 3, 3, 10, 1, 2];

/** Mean sessions per second of one host while active / idle (before the caller's rate scale). */
const ACTIVE_RATE = 0.6;
const IDLE_RATE = 0.05;
/** Packets one session produces on average (measured on the generator's output): used to hit --packets. */
export const PACKETS_PER_SESSION = 30;

/**
 * One LAN host's activity: Poisson session arrivals whose rate switches between an active and
 * an idle state (a two-state Markov-modulated Poisson process), which gives the burstiness of
 * a person using a computer without any day/night cycle.
 */
export class HostActivity implements Actor {
  t: number;
  seq = 0;
  private active: boolean;
  private stateEnds: number;

  constructor(
    private readonly ctx: CaptureContext,
    private readonly host: LanHost,
    private readonly endT: number,
    private readonly rateScale: number,
    private readonly baseSec: number,
  ) {
    const rng = ctx.rng;
    this.active = rng.chance(0.4);
    this.stateEnds = rng.exp(this.active ? 1 / 30 : 1 / 60);
    this.t = rng.exp(this.rate());
  }

  /** Mean sessions per second of this host over time, for sizing runs. */
  static meanRate(): number {
    return (ACTIVE_RATE * 30 + IDLE_RATE * 60) / 90;
  }

  private rate(): number {
    return (this.active ? ACTIVE_RATE : IDLE_RATE) * this.rateScale;
  }

  step(): boolean {
    if (this.t >= this.endT) return false;
    const ctx = this.ctx;
    const rng = ctx.rng;
    const t = this.t;
    switch (rng.weighted(SESSION_WEIGHTS)) {
      case 0: webSession(ctx, this.host, t); break;
      case 1: dnsOnlySession(ctx, this.host, t); break;
      case 2: arpSession(ctx, this.host, t); break;
      case 3: ntpSession(ctx, this.host, t, this.baseSec); break;
      case 4: pingSession(ctx, this.host, t); break;
      case 5: ipv6Session(ctx, this.host, t); break;
      case 6: dhcpSession(ctx, this.host, t); break;
      default: interactiveSession(ctx, this.host, t); break;
    }
    let next = t + rng.exp(this.rate());
    while (next > this.stateEnds) {
      // State switch: redraw the remaining wait at the new rate (memoryless).
      this.active = !this.active;
      const switchAt = this.stateEnds;
      this.stateEnds = switchAt + rng.exp(this.active ? 1 / 30 : 1 / 60);
      next = switchAt + rng.exp(this.rate());
    }
    this.t = next;
    return true;
  }
}
