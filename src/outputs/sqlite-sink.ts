import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LlnError } from '../errors';
import { isoFromEpoch } from './anomaly-from-packet';
import type { AnomalyRecord, AnomalySink, IncidentRecord, RunRecord } from './records';
import { LLN_APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema';

/** Bounds what a full disk can take back: at most this many rows (~150 KB) are lost. */
export const ROWS_PER_TRANSACTION = 500;

/**
 * Room kept beside the database while a sink has it open (`<db>-reserve`) and given back when a
 * write fails: on a full disk the run's last update (status failed, the rows committed) still fits.
 */
const RESERVE_BYTES = 64 * 1024;
/** Sinks of this process holding each reserve file (the daemon and a spool file's run share a database). */
const reserveHolders = new Map<string, number>();
/**
 * Databases whose disk filled under one of this process's sinks. The others writing to the same
 * file (the daemon's run and a spool file's) stop writing rows too: the reserve the first one gave
 * back is for the runs' last updates, not for more rows (fuzz-daemon: a spool file's rows took it,
 * and the daemon's run row stayed 'running').
 */
const fullFiles = new Set<string>();

export interface SqliteSinkOptions {
  /** How long a write waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Cap on the database size (bytes); writes beyond it fail like a full disk. */
  maxBytes?: number;
}

/**
 * Alerts in one SQLite file shared by many runs. WAL journal: readers (the sqlite3 CLI, a
 * dashboard) never block the writer and see whole transactions only: one per call, or per
 * ROWS_PER_TRANSACTION anomaly rows. synchronous=NORMAL: in WAL a power cut may lose the last batches, never
 * corrupt the file — the right trade for an alert log written thousands of rows a second.
 */
export class SqliteSink implements AnomalySink {
  private readonly db: Database.Database;
  private readonly insertAnomaly: Database.Statement;
  private readonly upsertIncident: Database.Statement;
  private readonly insertRun: Database.Statement;
  private readonly updateRunStmt: Database.Statement;
  /** A write failed: from then on the run row counts the rows the tables hold, not those handed to the sink. */
  private writeFailed = false;
  private reserve: string | null = null;

  constructor(
    readonly path: string,
    options: SqliteSinkOptions = {},
  ) {
    this.db = this.guard('open', () => new Database(path, { timeout: options.busyTimeoutMs ?? 5000 }));
    try {
      this.guard('open', () => {
        this.prepareSchema();
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        if (options.maxBytes !== undefined) {
          const pageSize = this.db.pragma('page_size', { simple: true }) as number;
          this.db.pragma(`max_page_count = ${Math.max(1, Math.ceil(options.maxBytes / pageSize))}`);
        }
      });
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.insertAnomaly = this.db.prepare(
      `INSERT INTO anomalies (run_id, frame, ts, ts_iso, source, interface_id, src_mac, dst_mac, src_ip, dst_ip,
         src_port, dst_port, protocol, length, score, threshold, incident_id, attention_frame, top_features, community_id, provisional)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertIncident = this.db.prepare(
      `INSERT INTO incidents (run_id, id, first_frame, last_frame, start_ts, start_iso, end_ts, end_iso, hosts, ports,
         packets, anomalies, suppressed, max_score, attention_frame, top_features, main_source, main_target, sources, targets, provisional)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, id) DO UPDATE SET
         first_frame = excluded.first_frame, last_frame = excluded.last_frame,
         start_ts = excluded.start_ts, start_iso = excluded.start_iso, end_ts = excluded.end_ts, end_iso = excluded.end_iso,
         hosts = excluded.hosts, ports = excluded.ports, packets = excluded.packets, anomalies = excluded.anomalies,
         suppressed = excluded.suppressed, max_score = excluded.max_score,
         attention_frame = excluded.attention_frame, top_features = excluded.top_features,
         main_source = excluded.main_source, main_target = excluded.main_target, sources = excluded.sources, targets = excluded.targets`,
       // provisional is kept from the first write: an incident opened while learning stays provisional.
    );
    this.insertRun = this.db.prepare(
      `INSERT INTO runs (started_at, finished_at, mode, sources, model_id, model_sha256, threshold,
         packets, windows, anomalies, incidents, suppressed, status, pcap_received, pcap_dropped, pcap_ifdropped, queue_dropped,
         windows_shed, packets_shed, shed_seconds, shed_max_level)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateRunStmt = this.db.prepare(
      `UPDATE runs SET finished_at = ?, model_id = ?, model_sha256 = ?, threshold = ?, packets = ?, windows = ?, anomalies = ?,
         incidents = ?, suppressed = ?, status = ?, pcap_received = ?, pcap_dropped = ?, pcap_ifdropped = ?, queue_dropped = ?,
         windows_shed = ?, packets_shed = ?, shed_seconds = ?, shed_max_level = ?
       WHERE id = ?`,
    );
    this.holdReserve();
  }

  private holdReserve(): void {
    if (this.path === ':memory:' || this.path === '') return;
    const file = `${this.path}-reserve`;
    const held = reserveHolders.get(file) ?? 0;
    if (held === 0) {
      try {
        // Random bytes: a compressing file system would store zeros in nothing.
        writeFileSync(file, randomBytes(RESERVE_BYTES), { mode: 0o600 });
      } catch {
        removeQuietly(file);
        return; // no room even for this: the sink works without it
      }
    }
    reserveHolders.set(file, held + 1);
    this.reserve = file;
  }

  /** Closing: the last holder in this process removes the file. */
  private dropReserve(): void {
    const file = this.reserve;
    if (!file) return;
    this.reserve = null;
    const left = (reserveHolders.get(file) ?? 1) - 1;
    if (left > 0) reserveHolders.set(file, left);
    else {
      reserveHolders.delete(file);
      removeQuietly(file);
      fullFiles.delete(this.path);
    }
  }

  /** Another sink of this process found this database's disk full: no more rows from this one either. */
  private stopIfFull(): undefined {
    if (fullFiles.has(this.path)) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return undefined;
  }

  /** Check the file is ours and bring its schema up to date (or refuse a newer one). */
  private prepareSchema(): void {
    const appId = this.db.pragma('application_id', { simple: true }) as number;
    const version = this.db.pragma('user_version', { simple: true }) as number;
    const objects = (this.db.prepare(`SELECT count(*) AS n FROM sqlite_master`).get() as { n: number }).n;
    const fresh = appId === 0 && version === 0 && objects === 0;
    if (!fresh && appId !== LLN_APPLICATION_ID) {
      throw new LlnError(
        'LLN_E_DB',
        `${this.path} is an SQLite database but not an lln-detect one (application_id ${appId}, ${objects} objects); choose another path with --db`,
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new LlnError(
        'LLN_E_DB',
        `${this.path} was written by a newer lln-detect (schema v${version}; this version knows up to v${SCHEMA_VERSION}); upgrade lln-detect or choose another path with --db`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) {
      // Each step and its version bump commit together: a crash mid-upgrade leaves the old version.
      this.db.transaction(() => {
        if (v === 0) this.db.pragma(`application_id = ${LLN_APPLICATION_ID}`);
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  /** Schema version of the open file (after migration). */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  startRun(run: RunRecord): number {
    return this.guard('record the run in', () => {
      this.stopIfFull(); // a new run's row would take the room kept for the others' last updates
      const r = this.insertRun.run(
        run.startedAt, run.finishedAt, run.mode, JSON.stringify(run.sources), run.modelId, run.modelSha256,
        run.threshold, run.packets, run.windows, run.anomalies, run.incidents, run.suppressed, run.status, ...captureLoss(run),
      );
      return Number(r.lastInsertRowid);
    });
  }

  writeAnomalies(rows: AnomalyRecord[]): void {
    if (rows.length === 0) return;
    this.guard('write anomalies to', () => {
      this.stopIfFull();
      this.writeAnomalyBatch(rows);
    });
  }

  /**
   * One transaction per ROWS_PER_TRANSACTION rows, not per batch: a replay batch can hold
   * thousands of anomalies, and when the disk fills mid-batch a single transaction would roll
   * all of them back (a full disk then kept 0 rows of the run). Readers see whole chunks.
   */
  private readonly writeAnomalyBatch = (rows: AnomalyRecord[]): void => {
    for (let i = 0; i < rows.length; i += ROWS_PER_TRANSACTION) this.writeAnomalyChunk(rows, i, Math.min(rows.length, i + ROWS_PER_TRANSACTION));
  };

  private readonly writeAnomalyChunk = (rows: AnomalyRecord[], from: number, to: number): void => {
    this.db.transaction(() => {
      const st = this.insertAnomaly;
      for (let r = from; r < to; r++) {
        const a = rows[r];
        st.run(
          a.runId, a.frame, a.ts, a.tsIso, a.source, a.interfaceId, a.srcMac, a.dstMac, a.srcIp, a.dstIp,
          a.srcPort, a.dstPort, a.protocol, a.length, a.score, a.threshold, a.incidentId || null,
          a.attentionFrame, a.topFeatures, a.communityId, a.provisional ? 1 : 0,
        );
      }
    })();
  };

  upsertIncidents(rows: IncidentRecord[]): void {
    if (rows.length === 0) return;
    this.guard('write incidents to', () => this.stopIfFull() ??
      this.db.transaction(() => {
        for (const i of rows) {
          this.upsertIncident.run(
            i.runId, i.id, i.firstFrame, i.lastFrame, i.startTs, isoFromEpoch(i.startTs), i.endTs, isoFromEpoch(i.endTs),
            JSON.stringify(i.hosts), JSON.stringify(i.ports), i.packets, i.anomalies, i.suppressed, i.maxScore,
            i.attentionFrame, i.topFeatures, i.mainSource, i.mainTarget, i.sources, i.targets, i.provisional ? 1 : 0,
          );
        }
      })(),
    );
  }

  updateRun(run: RunRecord): void {
    const update = () => {
      // After a failed write (a full disk), run.anomalies counts rows that never reached the table;
      // the row must say what was committed. Counting reads only, so it works on a full disk.
      const { anomalies, incidents } = this.writeFailed ? this.committed(run.id) : run;
      this.updateRunStmt.run(
        run.finishedAt, run.modelId, run.modelSha256, run.threshold, run.packets, run.windows, anomalies, incidents, run.suppressed,
        run.status, ...captureLoss(run), run.id,
      );
    };
    const roomLeft = this.reserve !== null && existsSync(this.reserve);
    try {
      this.guard('update the run in', update);
    } catch (e) {
      // The disk filled with this very update (a spool file's run has no update before its last):
      // the failure gave the reserve back, which is room for it. Once more, then it stands.
      if (!roomLeft || (e as { cause?: { code?: string } }).cause?.code !== 'SQLITE_FULL') throw e;
      this.guard('update the run in', update);
    }
  }

  /** Anomaly and incident rows of a run in the file. */
  private committed(runId: number): { anomalies: number; incidents: number } {
    const count = (table: 'anomalies' | 'incidents') => (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id = ?`).get(runId) as { n: number }).n;
    return { anomalies: count('anomalies'), incidents: count('incidents') };
  }

  finishRun(run: RunRecord): void {
    this.updateRun(run);
  }

  close(): void {
    const full = this.writeFailed || fullFiles.has(this.path);
    this.dropReserve();
    if (!this.db.open) return;
    // Fold the WAL back into the main file so a copied .db is complete on its own; not on a full
    // disk: copying the WAL's pages grows the main file into the room the reserve gave back for
    // the other runs' last updates (fuzz-daemon: a spool file's run closing took it, and the
    // daemon's run stayed 'running'). The next open folds it back.
    if (!full) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* a reader holds the WAL: the checkpoint happens on a later open */
      }
    }
    this.db.close();
  }

  /** Run fn, turning SQLite failures into LLN_E_DB with what to do about them. */
  private guard<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (action !== 'open') {
        this.writeFailed = true;
        if (this.reserve) removeQuietly(this.reserve); // the room, for the run's last update
        if ((e as { code?: string }).code === 'SQLITE_FULL' && this.reserve) fullFiles.add(this.path);
      }
      if (e instanceof LlnError) throw e;
      throw new LlnError('LLN_E_DB', `cannot ${action} SQLite database ${this.path}: ${explainSqliteError(e)}`, { cause: e });
    }
  }
}

/** A one-line reason and remedy; committed batches are never affected (each is a transaction). */
export function explainSqliteError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const kept = 'rows written before are intact';
  if (code === 'SQLITE_FULL') return `the disk or the database size cap is full; free space or choose another path with --db (${kept})`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return `another process holds a write lock on it; stop that writer or choose another path with --db (${kept})`;
  if (code.startsWith('SQLITE_READONLY')) return `the file or its directory is read-only; fix permissions or choose another path with --db (${kept})`;
  if (code === 'SQLITE_NOTADB') return 'the file is not an SQLite database; choose another path with --db';
  if (code.startsWith('SQLITE_CORRUPT')) return 'the file is corrupt; move it aside and choose another path with --db';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cannot open the file (missing directory or no permission); choose another path with --db';
  if (code.startsWith('SQLITE_IOERR')) return `I/O error (${code}); check the disk or choose another path with --db (${kept})`;
  return `${code ? code + ': ' : ''}${err.message ?? String(e)}`;
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    /* gone already, or its directory went read-only */
  }
}

/** The runs table's capture-loss and overload-shedding columns: NULL where a run has no such count (replays). */
function captureLoss(run: RunRecord): (number | null)[] {
  return [run.pcapReceived ?? null, run.pcapDropped ?? null, run.pcapIfDropped ?? null, run.queueDropped ?? null,
    run.windowsShed ?? null, run.packetsShed ?? null, run.shedSeconds ?? null, run.shedMaxLevel ?? null];
}
