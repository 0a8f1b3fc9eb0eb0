import { Counter, Gauge, type Registry } from 'prom-client';
import type { SpoolObserver } from './training-spool';

/**
 * The training spool's pauses on /metrics (docs/daemon.md, "Learning its own network"): a gauge to
 * alert on and the packets learning did not get. Registered once per registry, by whoever asks first.
 */
export function spoolMetrics(registry: Registry): SpoolObserver {
  const paused = (registry.getSingleMetric('lln_training_spool_paused') as Gauge | undefined)
    ?? new Gauge({ name: 'lln_training_spool_paused', help: '1 while the training spool cannot write (full disk, I/O error): learning is paused, detection goes on', registers: [registry] });
  const skipped = (registry.getSingleMetric('lln_training_spool_skipped_packets_total') as Counter | undefined)
    ?? new Counter({ name: 'lln_training_spool_skipped_packets_total', help: 'Captured packets the training spool did not keep because it was paused', registers: [registry] });
  paused.set(0);
  return { paused: (on) => paused.set(on ? 1 : 0), skipped: (n) => skipped.inc(n) };
}
