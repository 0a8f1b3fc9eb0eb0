import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LlnError } from '../errors';
import { LLN_APPLICATION_ID, SCHEMA_VERSION } from '../outputs/sqlite-schema';
import type { AlertSource, AnomalyRow, IncidentKey, IncidentPage, IncidentQuery, IncidentRow, RunRow } from './alert-source';
import { incidentSql } from './incident-query';
import { anomalyRow, incidentRow, runRow } from './row-mappers';

/** The oldest schema the view reads: v5 has every column the pages show (provisional is the last added). */
const MIN_SCHEMA = 5;

/**
 * A sensor's alert database, opened read-only: the view can never change an alert, and a
 * daemon writing the file meanwhile is not disturbed. The file is in WAL mode, so each query
 * sees the transactions committed before it started — a reload shows what the daemon wrote since.
 */
export class SqliteAlertSource implements AlertSource {
  readonly hasSensors = false;
  readonly label: string;
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.label = `SQLite ${path}`;
    this.db = openReadOnly(path);
    try {
      checkSchema(this.db, path);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  async runs(limit: number): Promise<RunRow[]> {
    return (this.db.prepare(`SELECT * FROM runs ORDER BY id DESC LIMIT ?`).all(limit) as Record<string, unknown>[]).map((r) => runRow(r, ''));
  }

  async sensors(): Promise<string[]> {
    return [];
  }

  async incidents(q: IncidentQuery): Promise<IncidentPage> {
    const { where, orderBy, params } = incidentSql(q, 'sqlite');
    const total = (this.db.prepare(`SELECT count(*) AS n FROM incidents ${where}`).get(...params) as { n: number }).n;
    // Sort the keys alone, then read the page's rows: sorting whole rows would drag every scan's
    // host and port lists through the sorter (no index fits every sort order, and the view adds none).
    const rows = this.db.prepare(`SELECT * FROM incidents WHERE (run_id, id) IN (SELECT run_id, id FROM incidents ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?) ORDER BY ${orderBy}`)
      .all(...params, q.perPage, (q.page - 1) * q.perPage) as Record<string, unknown>[];
    return { total, rows: rows.map((r) => incidentRow(r, '')) };
  }

  async incident(key: IncidentKey): Promise<IncidentRow | null> {
    const r = this.db.prepare(`SELECT * FROM incidents WHERE run_id = ? AND id = ?`).get(key.runId, key.id) as Record<string, unknown> | undefined;
    return r ? incidentRow(r, '') : null;
  }

  async anomalies(key: IncidentKey, limit: number): Promise<AnomalyRow[]> {
    // The (incident_id, run_id) index of schema v2 serves this.
    return (this.db.prepare(`SELECT * FROM anomalies WHERE incident_id = ? AND run_id = ? ORDER BY frame, id LIMIT ?`)
      .all(key.id, key.runId, limit) as Record<string, unknown>[]).map(anomalyRow);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function openReadOnly(path: string): Database.Database {
  try {
    if (statSync(path).isDirectory()) throw new LlnError('LLN_E_IS_DIR', `${path} is a directory; give the alert database file with --db (replay writes anomalies.db, the daemon /var/lib/lln-detect/anomalies.db)`);
  } catch (e) {
    if (e instanceof LlnError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LlnError('LLN_E_NOT_FOUND', `${path}: no such database; give the alert database with --db (replay writes anomalies.db in its folder, the daemon /var/lib/lln-detect/anomalies.db)`);
    throw unreadable(path, e);
  }
  try {
    // timeout: a reader in WAL mode waits for a lock only in rare moments (a checkpoint's reset); never for long.
    return new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (e) {
    throw unreadable(path, e);
  }
}

function unreadable(path: string, e: unknown): LlnError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const why = code === 'EACCES' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY_CANTINIT'
    ? 'run as root or the user that owns it (the daemon\'s database is private to lln-detect)'
    : 'check the path';
  return new LlnError('LLN_E_UNREADABLE', `cannot open ${path} (${code || (e as Error).message}); ${why}`, { cause: e });
}

/** The checks sqlite-sink.ts makes before writing, made read-only: an lln-detect file of a schema this view reads. */
function checkSchema(db: Database.Database, path: string): void {
  let appId: number, version: number;
  try {
    appId = db.pragma('application_id', { simple: true }) as number;
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    // "file is not a database": a capture or a text file given by mistake
    throw new LlnError('LLN_E_DB', `${path} is not an SQLite database (${(e as Error).message}); give the alert database with --db (replay writes anomalies.db)`, { cause: e });
  }
  if (appId !== LLN_APPLICATION_ID) {
    throw new LlnError('LLN_E_DB', `${path} is an SQLite database but not an lln-detect one (application_id ${appId}); give the alert database with --db (replay writes anomalies.db)`);
  }
  if (version > SCHEMA_VERSION) {
    throw new LlnError('LLN_E_DB', `${path} was written by a newer lln-detect (schema v${version}; this version reads up to v${SCHEMA_VERSION}); upgrade lln-detect`);
  }
  if (version < MIN_SCHEMA) {
    throw new LlnError('LLN_E_DB', `${path} has schema v${version}, older than this view reads (v${MIN_SCHEMA}+); a replay or daemon start with this version upgrades it in place (lln-detect replay any.pcap --db ${path})`);
  }
}
