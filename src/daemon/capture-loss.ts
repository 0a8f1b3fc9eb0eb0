import { logger } from '../logger';
import type { RunRecord } from '../outputs/records';
import type { IntakeLoss, LiveIntake } from './live-intake';
import { LossWarning } from './loss-warning';
import type { DaemonMetrics } from './metrics';

/** The run row's capture-loss fields (summed over interfaces). */
export type RunCaptureLoss = Pick<RunRecord, 'pcapReceived' | 'pcapDropped' | 'pcapIfDropped' | 'queueDropped'>;

interface PerInterface {
  /** Values already added to the Prometheus counters (which only take increments). */
  synced: { received: number; dropped: number; ifDropped: number; queue: number };
  /** Loss by kind at the last warning, so each warning says what was lost since the one before. */
  atWarning: { dropped: number; ifDropped: number; queue: number };
  warning: LossWarning;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Where the sensor learns that it is blind. Every tick (and once at stop) it reads each
 * interface's losses — libpcap's kernel ring (pcap_stats ps_drop), the interface (ps_ifdrop) and
 * the daemon's own intake queue — moves the per-interface counters on /metrics, logs a
 * rate-limited warning while packets are being lost, and returns the totals for the run row.
 */
export class CaptureLossMonitor {
  private readonly ifaces = new Map<string, PerInterface>();
  private warnedNoStats = false;

  constructor(private readonly metrics: DaemonMetrics, private readonly warnEveryMs = 60_000) {}

  poll(intakes: readonly LiveIntake[], now = Date.now()): RunCaptureLoss {
    const out: RunCaptureLoss = { queueDropped: 0 };
    for (const intake of intakes) {
      const loss = intake.loss();
      this.export(intake.name, loss, now);
      out.queueDropped! += loss.queueDropped;
      if (loss.pcap) {
        out.pcapReceived = (out.pcapReceived ?? 0) + loss.pcap.received;
        out.pcapDropped = (out.pcapDropped ?? 0) + loss.pcap.dropped;
        out.pcapIfDropped = (out.pcapIfDropped ?? 0) + loss.pcap.ifDropped;
      } else if (intake.capturing && !this.warnedNoStats) {
        this.warnedNoStats = true;
        logger.warn(`capture on ${intake.name}: libpcap's drop counters are unavailable (the cap binding is not patched: run bash scripts/patch-cap.sh); ` +
          'packets lost in its kernel ring go uncounted');
      }
    }
    return out;
  }

  private export(name: string, loss: IntakeLoss, now: number): void {
    let st = this.ifaces.get(name);
    if (!st) {
      st = { synced: { received: 0, dropped: 0, ifDropped: 0, queue: 0 }, atWarning: { dropped: 0, ifDropped: 0, queue: 0 }, warning: new LossWarning(this.warnEveryMs) };
      this.ifaces.set(name, st);
    }
    const m = this.metrics, l = { interface: name }, s = st.synced;
    const p = loss.pcap;
    if (p) {
      m.pcapReceived.inc(l, Math.max(0, p.received - s.received));
      m.pcapDropped.inc(l, Math.max(0, p.dropped - s.dropped));
      m.pcapIfDropped.inc(l, Math.max(0, p.ifDropped - s.ifDropped));
      Object.assign(s, { received: Math.max(s.received, p.received), dropped: Math.max(s.dropped, p.dropped), ifDropped: Math.max(s.ifDropped, p.ifDropped) });
    }
    m.queueDrops.inc(l, Math.max(0, loss.queueDropped - s.queue));
    s.queue = Math.max(s.queue, loss.queueDropped);

    const dropped = p?.dropped ?? 0, ifDropped = p?.ifDropped ?? 0, queue = loss.queueDropped;
    const notice = st.warning.observe(dropped + ifDropped + queue, now);
    if (notice?.kind === 'losing') {
      const a = st.atWarning;
      const span = notice.sinceMs === null ? '' : ` in the last ${Math.round(notice.sinceMs / 1000)} s`;
      logger.warn(`capture on ${name} is losing packets: ${fmt(notice.lost)} lost${span} (libpcap ring ${fmt(dropped - a.dropped)}, ` +
        `interface ${fmt(ifDropped - a.ifDropped)}, intake queue ${fmt(queue - a.queue)}); the sensor does not see all traffic ` +
        '(see "Capture loss" in docs/daemon.md)');
      st.atWarning = { dropped, ifDropped, queue };
    } else if (notice?.kind === 'recovered') {
      logger.info(`capture on ${name}: no packets lost for ${Math.round(notice.quietMs / 1000)} s (lost since start: ${fmt(dropped + ifDropped + queue)})`);
    }
  }
}

/** The stop line's account of capture loss. */
export function describeCaptureLoss(l: RunCaptureLoss): string {
  const q = l.queueDropped ?? 0;
  if (l.pcapDropped === undefined) return `lost in capture ${q}+ (intake queue ${q}; libpcap's counters unavailable: cap not patched)`;
  const ifd = l.pcapIfDropped ?? 0;
  return `lost in capture ${l.pcapDropped + ifd + q} (libpcap ring ${l.pcapDropped}, interface ${ifd}, intake queue ${q}; libpcap received ${l.pcapReceived ?? 0})`;
}
