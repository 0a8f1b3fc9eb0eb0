import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { LlnError } from '../errors';
import { SqliteSink } from '../outputs/sqlite-sink';
import { ForwardError } from './forward-error';

/** Rows of the local tables, as SQLite returns them (column name → value). */
export type Row = Record<string, unknown>;

export interface ForwardBatch {
  runs: Row[];
  incidents: Row[];
  anomalies: Row[];
  /** Positions to store once PostgreSQL has committed the batch. */
  anomalyPos: number;
  changePos: number;
  /** True when either source had more rows than the batch took: call again at once. */
  more: boolean;
  /** Nothing new at all (no change logged, no anomaly): the position stays. */
  empty: boolean;
}

export interface ForwardPositions {
  origin: string;
  sensor: string;
  target: string;
  anomalyPos: number;
  changePos: number;
  forwardedRows: number;
  lastForwardAt: string | null;
  caughtUpAt: string | null;
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

/**
 * The sensor id an existing SQLite file already forwards as, or null (no file, or never forwarded).
 * Read-only and without migrating: replay --pg checks it before any scoring, so a wrong --sensor
 * is one usage line before the work rather than an error after it.
 */
export function forwardedSensor(file: string): string | null {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'forward_state'").get();
    if (!table) return null;
    const r = db.prepare('SELECT sensor FROM forward_state WHERE id = 1').get() as { sensor?: unknown } | undefined;
    return r?.sensor === undefined || r.sensor === null ? null : String(r.sensor);
  } finally {
    db.close();
  }
}

/**
 * The local side of store-and-forward: the SQLite file stays the source of truth. anomalies are
 * append-only and forwarded by id; runs and incidents change in place, and the v6 triggers log
 * every change in forward_changes. The forward position advances only after PostgreSQL committed
 * the rows up to it, so a crash at any moment re-sends at most one batch (harmless: every row has
 * a unique key there) and never skips one.
 */
export class ForwardStore {
  private readonly db: Database.Database;
  private readonly st: Record<string, Database.Statement>;

  constructor(readonly path: string) {
    // The sink's constructor applies the schema migrations (v6 adds the forward tables).
    new SqliteSink(path).close();
    this.db = new Database(path, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.st = {
      state: this.db.prepare('SELECT * FROM forward_state WHERE id = 1'),
      changes: this.db.prepare('SELECT seq, tbl, run_id, row_id FROM forward_changes WHERE seq > ? ORDER BY seq LIMIT ?'),
      run: this.db.prepare('SELECT * FROM runs WHERE id = ?'),
      incident: this.db.prepare('SELECT * FROM incidents WHERE run_id = ? AND id = ?'),
      anomalies: this.db.prepare('SELECT * FROM anomalies WHERE id > ? ORDER BY id LIMIT ?'),
      advance: this.db.prepare(
        `UPDATE forward_state SET anomaly_pos = ?, change_pos = ?, forwarded_rows = forwarded_rows + ?, last_forward_at = ?,
           caught_up_at = CASE WHEN ? THEN ? ELSE caught_up_at END, last_error = NULL WHERE id = 1`,
      ),
      trim: this.db.prepare('DELETE FROM forward_changes WHERE seq <= ?'),
      fail: this.db.prepare('UPDATE forward_state SET failures = failures + 1, last_error = ?, last_error_at = ? WHERE id = 1'),
    };
  }

  positions(): ForwardPositions {
    const r = this.st.state.get() as Row | undefined;
    if (!r) throw new LlnError('LLN_E_DB', `${this.path}: no forward state; it is created when forwarding starts`);
    return positionsFromRow(r);
  }

  /**
   * Make this file forward as `sensor` to `target`. The first claim logs every existing run and
   * incident as changed (everything already in the file is forwarded). A file claimed by another
   * sensor id is refused: its rows are already in PostgreSQL under that name. A new target
   * (another database) starts from the beginning. Returns what was done, for the log.
   */
  claim(sensor: string, target: string): 'new' | 'same' | 'retarget' {
    return this.db.transaction((): 'new' | 'same' | 'retarget' => {
      const r = this.st.state.get() as Row | undefined;
      const seedAll = () => {
        this.db.exec(`DELETE FROM forward_changes;
          INSERT INTO forward_changes (tbl, run_id, row_id) SELECT 'runs', id, id FROM runs ORDER BY id;
          INSERT INTO forward_changes (tbl, run_id, row_id) SELECT 'incidents', run_id, id FROM incidents ORDER BY run_id, id;`);
      };
      const now = new Date().toISOString();
      if (!r) {
        this.db.prepare(`INSERT INTO forward_state (id, origin, sensor, target, caught_up_at) VALUES (1, ?, ?, ?, ?)`).run(randomUUID(), sensor, target, now);
        seedAll();
        return 'new';
      }
      if (r.sensor !== sensor) {
        throw new ForwardError('sensor', `${this.path} is forwarded as sensor '${String(r.sensor)}', not '${sensor}'; set outputs.postgres.sensor (or --sensor) back to '${String(r.sensor)}', or give this sensor a new SQLite file (alerts wait locally)`);
      }
      if (r.target === target) return 'same';
      this.db.prepare(`UPDATE forward_state SET target = ?, anomaly_pos = 0, change_pos = 0, forwarded_rows = 0, caught_up_at = ? WHERE id = 1`).run(target, now);
      seedAll();
      return 'retarget';
    }).immediate();
  }

  /** The next rows to forward, read in one snapshot (a run row and the anomalies written after it agree). */
  readBatch(maxRows: number): ForwardBatch {
    return this.db.transaction((): ForwardBatch => {
      const p = this.positions();
      const changes = this.st.changes.all(p.changePos, maxRows) as Array<{ seq: number; tbl: string; run_id: number; row_id: number }>;
      const seen = new Set<string>();
      const runs: Row[] = [];
      const incidents: Row[] = [];
      // In change order; each row once per batch, in its state as read now (its latest).
      for (const c of changes) {
        const key = `${c.tbl}:${c.run_id}:${c.row_id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const row = (c.tbl === 'runs' ? this.st.run.get(c.row_id) : this.st.incident.get(c.run_id, c.row_id)) as Row | undefined;
        if (row) (c.tbl === 'runs' ? runs : incidents).push(row);
      }
      const anomalies = this.st.anomalies.all(p.anomalyPos, maxRows) as Row[];
      return {
        runs, incidents, anomalies,
        anomalyPos: anomalies.length ? Number(anomalies[anomalies.length - 1].id) : p.anomalyPos,
        changePos: changes.length ? changes[changes.length - 1].seq : p.changePos,
        more: changes.length === maxRows || anomalies.length === maxRows,
        empty: changes.length === 0 && anomalies.length === 0,
      };
    })();
  }

  /** PostgreSQL committed the batch: move the position past it. */
  advance(b: ForwardBatch): void {
    const now = new Date().toISOString();
    const rows = b.runs.length + b.incidents.length + b.anomalies.length;
    this.db.transaction(() => {
      this.st.advance.run(b.anomalyPos, b.changePos, rows, now, b.more ? 0 : 1, now);
      this.st.trim.run(b.changePos);
    }).immediate();
  }

  recordFailure(message: string): void {
    try {
      this.st.fail.run(message, new Date().toISOString());
    } catch {
      /* the local file is busy or full: the failure is still on /metrics and in the log */
    }
  }

  /** Rows not yet in PostgreSQL: anomalies past the position, plus runs and incidents changed since. */
  pending(): { anomalies: number; changed: number } {
    const p = this.positions();
    const a = (this.db.prepare('SELECT count(*) AS n FROM anomalies WHERE id > ?').get(p.anomalyPos) as { n: number }).n;
    const c = (this.db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT tbl, run_id, row_id FROM forward_changes WHERE seq > ?)').get(p.changePos) as { n: number }).n;
    return { anomalies: a, changed: c };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function positionsFromRow(r: Row): ForwardPositions {
  return {
    origin: String(r.origin), sensor: String(r.sensor), target: String(r.target),
    anomalyPos: Number(r.anomaly_pos), changePos: Number(r.change_pos), forwardedRows: Number(r.forwarded_rows),
    lastForwardAt: (r.last_forward_at as string | null) ?? null, caughtUpAt: (r.caught_up_at as string | null) ?? null,
    failures: Number(r.failures), lastError: (r.last_error as string | null) ?? null, lastErrorAt: (r.last_error_at as string | null) ?? null,
  };
}
