import { Counter, Gauge, type Registry } from 'prom-client';
import type { ForwardReason } from './forward-error';

/** What the forwarder reports as it goes (from its worker thread, as messages). */
export interface ForwardObserver {
  forwarded(rows: { runs: number; incidents: number; anomalies: number }): void;
  /** null: the last attempt succeeded; a reason: it failed (counted once per attempt). */
  failing(reason: ForwardReason | null): void;
  pending(rows: number, lagSeconds: number): void;
}

/** The forwarder's series on the daemon's /metrics. */
export class ForwardMetrics implements ForwardObserver {
  readonly rows: Counter<'table'>;
  readonly failures: Counter<'reason'>;
  readonly pendingRows: Gauge;
  readonly lag: Gauge;
  readonly up: Gauge;
  readonly failingNow: Gauge<'reason'>;
  readonly lastSuccess: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rows = new Counter({ name: 'lln_forward_rows_total', help: 'Rows forwarded to PostgreSQL (committed there), by table', labelNames: ['table'], registers });
    this.failures = new Counter({ name: 'lln_forward_failures_total', help: 'Failed forward attempts (each retry counts), by reason', labelNames: ['reason'], registers });
    this.pendingRows = new Gauge({ name: 'lln_forward_pending_rows', help: 'Rows in the local SQLite file not yet in PostgreSQL', registers });
    this.lag = new Gauge({ name: 'lln_forward_lag_seconds', help: 'Seconds since the forwarder was last caught up (0 while caught up)', registers });
    this.up = new Gauge({ name: 'lln_forward_up', help: '1 while the last forward attempt succeeded, 0 while failing', registers });
    this.failingNow = new Gauge({ name: 'lln_forward_failing', help: '1 for the reason the forwarder is failing now (none while it works)', labelNames: ['reason'], registers });
    this.lastSuccess = new Gauge({ name: 'lln_forward_last_success_timestamp_seconds', help: 'Unix time of the last batch PostgreSQL committed', registers });
  }

  forwarded(rows: { runs: number; incidents: number; anomalies: number }): void {
    for (const [table, n] of Object.entries(rows)) this.rows.inc({ table }, n);
    this.lastSuccess.set(Date.now() / 1000);
  }

  failing(reason: ForwardReason | null): void {
    this.failingNow.reset();
    if (reason) {
      this.failingNow.set({ reason }, 1);
      this.failures.inc({ reason });
    }
    this.up.set(reason ? 0 : 1);
  }

  pending(rows: number, lagSeconds: number): void {
    this.pendingRows.set(rows);
    this.lag.set(lagSeconds);
  }
}
