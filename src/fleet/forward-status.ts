import Database from 'better-sqlite3';
import { positionsFromRow, type Row } from './forward-store';

/** The forward state of one local SQLite file, for `lln-detect status` (read-only; the daemon may be running or not). */
export interface ForwardStatus {
  /** false: this file has never been forwarded (no outputs.postgres, or it never started). */
  configured: boolean;
  sensor?: string;
  target?: string;
  pendingRows: number;
  /** Seconds since the forwarder was last caught up; 0 while caught up. */
  lagSeconds: number;
  forwardedRows: number;
  lastForwardedAt: string | null;
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export function readForwardStatus(dbPath: string, now = Date.now()): ForwardStatus {
  const none: ForwardStatus = { configured: false, pendingRows: 0, lagSeconds: 0, forwardedRows: 0, lastForwardedAt: null, failures: 0, lastError: null, lastErrorAt: null };
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 2000 });
  try {
    const has = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'forward_state'`).get() as { n: number };
    if (has.n === 0) return none;
    const row = db.prepare('SELECT * FROM forward_state WHERE id = 1').get() as Row | undefined;
    if (!row) return none;
    const p = positionsFromRow(row);
    const a = (db.prepare('SELECT count(*) AS n FROM anomalies WHERE id > ?').get(p.anomalyPos) as { n: number }).n;
    const c = (db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT tbl, run_id, row_id FROM forward_changes WHERE seq > ?)').get(p.changePos) as { n: number }).n;
    const pending = a + c;
    const lag = pending === 0 || !p.caughtUpAt ? 0 : Math.max(0, (now - Date.parse(p.caughtUpAt)) / 1000);
    return {
      configured: true, sensor: p.sensor, target: p.target, pendingRows: pending, lagSeconds: lag, forwardedRows: p.forwardedRows,
      lastForwardedAt: p.lastForwardAt, failures: p.failures, lastError: p.lastError, lastErrorAt: p.lastErrorAt,
    };
  } finally {
    db.close();
  }
}

/** One section of `lln-detect status`. */
export function formatForwardStatus(s: ForwardStatus): string {
  if (!s.configured) return 'forwarding to PostgreSQL: nothing forwarded from this file yet (the daemon or replay --pg starts it)\n';
  const lines = [
    `forwarding to PostgreSQL ${s.target} as sensor ${s.sensor}:`,
    `  pending rows     ${s.pendingRows}`,
    `  lag              ${s.lagSeconds.toFixed(0)} s`,
    `  forwarded rows   ${s.forwardedRows}`,
    `  last forwarded   ${s.lastForwardedAt ?? 'never'}`,
    `  failures         ${s.failures}${s.lastError ? `; now failing since ${s.lastErrorAt}: ${s.lastError}` : ''}`,
  ];
  return lines.join('\n') + '\n';
}
