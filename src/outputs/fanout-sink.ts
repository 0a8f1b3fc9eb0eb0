import type { AnomalyRecord, AnomalySink, IncidentRecord, RunRecord } from './records';
import { SqliteSink } from './sqlite-sink';

export interface FanoutOptions {
  /**
   * 'throw' (default, daemon): a sink's failure is thrown to the caller.
   * 'isolate' (replay): a failing sink is recorded in `failure` and skipped from then on, and
   * the other sinks keep receiving every row, so what was already scored when one output broke
   * still reaches the others. The caller polls `failure` to stop reading.
   */
  onFailure?: 'throw' | 'isolate';
}

/**
 * Several sinks behind one. The first sink that allocates a run id (SQLite) decides run.id,
 * and the later sinks see that id, so run_id agrees across SQLite, CSV and JSON lines.
 * Without such a sink run.id stays what the caller set.
 */
export class FanoutSink implements AnomalySink {
  private readonly sinks: AnomalySink[];
  private readonly failed = new Set<AnomalySink>();
  private readonly isolate: boolean;
  /** The first failure of any sink (isolate mode). */
  failure: unknown = null;

  constructor(sinks: AnomalySink[], options: FanoutOptions = {}) {
    // Id-allocating sinks first, so the others already see the final run id.
    this.sinks = [...sinks.filter((s) => s instanceof SqliteSink), ...sinks.filter((s) => !(s instanceof SqliteSink))];
    this.isolate = options.onFailure === 'isolate';
  }

  /** Call fn on every healthy sink; in isolate mode a throwing sink is set aside. */
  private each(fn: (s: AnomalySink) => void): void {
    for (const s of this.sinks) if (!this.failed.has(s)) this.guarded(s, fn);
  }

  private guarded(s: AnomalySink, fn: (s: AnomalySink) => void): void {
    if (!this.isolate) return fn(s);
    try {
      fn(s);
    } catch (e) {
      this.failed.add(s);
      this.failure ??= e;
    }
  }

  startRun(run: RunRecord): number {
    this.each((s) => {
      const id = s.startRun(run);
      if (typeof id === 'number') run.id = id;
    });
    return run.id;
  }

  writeAnomalies(rows: AnomalyRecord[]): void {
    if (rows.length === 0) return;
    this.each((s) => s.writeAnomalies(rows));
  }

  upsertIncidents(rows: IncidentRecord[]): void {
    if (rows.length === 0) return;
    this.each((s) => s.upsertIncidents(rows));
  }

  updateRun(run: RunRecord): void {
    this.each((s) => s.updateRun?.(run));
  }

  /**
   * Every sink is asked to record the run's end, including one that failed earlier: a full
   * SQLite file often still takes the one-row update that marks the run failed. A sink that
   * fails again here has already had its failure recorded.
   */
  finishRun(run: RunRecord): void {
    for (const s of this.sinks) {
      if (!this.failed.has(s)) {
        this.guarded(s, (x) => x.finishRun(run));
        continue;
      }
      try {
        s.finishRun(run);
      } catch {
        /* already failed; its first error is the one reported */
      }
    }
  }

  reopen(): void {
    this.each((s) => s.reopen?.());
  }

  /** Close every sink even if one fails; rethrow the first failure. */
  close(): void {
    let first: unknown = null;
    for (const s of this.sinks) {
      try {
        s.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== null) throw first;
  }
}
