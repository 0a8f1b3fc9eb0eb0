import type { AnomalyRecord, AnomalySink, IncidentRecord, RunRecord } from './records';
import { SqliteSink } from './sqlite-sink';

/**
 * Several sinks behind one. The first sink that allocates a run id (SQLite) decides run.id,
 * and the later sinks see that id, so run_id agrees across SQLite, CSV and JSON lines.
 * Without such a sink run.id stays what the caller set.
 */
export class FanoutSink implements AnomalySink {
  private readonly sinks: AnomalySink[];

  constructor(sinks: AnomalySink[]) {
    // Id-allocating sinks first, so the others already see the final run id.
    this.sinks = [...sinks.filter((s) => s instanceof SqliteSink), ...sinks.filter((s) => !(s instanceof SqliteSink))];
  }

  startRun(run: RunRecord): number {
    for (const s of this.sinks) {
      const id = s.startRun(run);
      if (typeof id === 'number') run.id = id;
    }
    return run.id;
  }

  writeAnomalies(rows: AnomalyRecord[]): void {
    if (rows.length === 0) return;
    for (const s of this.sinks) s.writeAnomalies(rows);
  }

  upsertIncidents(rows: IncidentRecord[]): void {
    if (rows.length === 0) return;
    for (const s of this.sinks) s.upsertIncidents(rows);
  }

  updateRun(run: RunRecord): void {
    for (const s of this.sinks) s.updateRun?.(run);
  }

  finishRun(run: RunRecord): void {
    for (const s of this.sinks) s.finishRun(run);
  }

  reopen(): void {
    for (const s of this.sinks) s.reopen?.();
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
