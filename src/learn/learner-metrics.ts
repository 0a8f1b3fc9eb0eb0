import type { Counter, Gauge, Registry } from 'prom-client';

/** The /metrics series the learner keeps (the daemon's registry holds them: daemon/metrics.ts). */
export interface LearnerMetrics {
  /** Where the spool's own series register (spool-metrics.ts). */
  registry: Registry;
  lifecycle: Gauge<'state'>;
  trainingRunning: Gauge;
  trainings: Counter<'result'>;
  spoolPackets: Gauge;
  spoolBytes: Gauge;
}
