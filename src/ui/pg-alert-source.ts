import { Pool } from 'pg';
import { LlnError } from '../errors';
import { classifyPgError } from '../fleet/forward-error';
import { PG_SCHEMA_VERSION } from '../fleet/pg-schema';
import { pgTarget, type PgTarget } from '../fleet/pg-target';
import type { AlertSource, AnomalyRow, IncidentKey, IncidentPage, IncidentQuery, IncidentRow, RunRow } from './alert-source';
import { incidentSql } from './incident-query';
import { anomalyRow, incidentRow, runRow } from './row-mappers';

/**
 * The fleet's central PostgreSQL (README: A fleet of sensors) as the view's source. Every
 * session is read-only on the server's side (default_transaction_read_only), whatever rights
 * the role has: the view cannot change an alert even through a bug of its own.
 */
export class PgAlertSource implements AlertSource {
  readonly hasSensors = true;
  readonly label: string;

  private constructor(private readonly pool: Pool, target: PgTarget) {
    this.label = `PostgreSQL ${target.label}`;
  }

  /** Connect once and check the schema, so a wrong URL, password or database is one line at start, not a broken page later. */
  static async open(url: string, passwordFile?: string): Promise<PgAlertSource> {
    let target: PgTarget;
    try {
      target = pgTarget({ url, passwordFile, sensor: 'ui', where: '--pg' });
    } catch (e) {
      throw new LlnError('LLN_E_USAGE', (e as Error).message);
    }
    const pool = new Pool({ ...target.clientConfig(), max: 4, idleTimeoutMillis: 30_000, options: '-c default_transaction_read_only=on' });
    pool.on('error', () => {}); // an idle client's lost connection: the next query reconnects or reports it
    try {
      const t = await pool.query(`SELECT to_regclass('lln_schema') IS NOT NULL AS present`);
      if (!t.rows[0].present) {
        throw new LlnError('LLN_E_PG', `PostgreSQL ${target.label} holds no lln-detect fleet schema (no table lln_schema); point --pg at the fleet's database, or create it (lln-detect fleet migrate --pg URL)`);
      }
      const v = Number((await pool.query('SELECT version FROM lln_schema LIMIT 1')).rows[0]?.version ?? 0);
      if (v > PG_SCHEMA_VERSION) throw new LlnError('LLN_E_PG', `PostgreSQL ${target.label} has lln-detect schema v${v}, newer than this version reads (v${PG_SCHEMA_VERSION}); upgrade lln-detect`);
      if (v < 1) throw new LlnError('LLN_E_PG', `PostgreSQL ${target.label} has an empty lln-detect schema (v0); run lln-detect fleet migrate --pg URL as the database owner`);
      return new PgAlertSource(pool, target);
    } catch (e) {
      await pool.end().catch(() => {});
      if (e instanceof LlnError) throw e;
      throw new LlnError('LLN_E_PG', pgMessage(e, target.label), { cause: e });
    }
  }

  private async all(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Record<string, unknown>[];
    } catch (e) {
      throw new LlnError('LLN_E_PG', pgMessage(e, this.label.replace(/^PostgreSQL /, '')), { cause: e });
    }
  }

  async runs(limit: number): Promise<RunRow[]> {
    return (await this.all('SELECT * FROM runs ORDER BY started_at DESC, sensor, id DESC LIMIT $1', [limit])).map((r) => runRow(r, String(r.sensor)));
  }

  async sensors(): Promise<string[]> {
    return (await this.all('SELECT sensor FROM sensors ORDER BY sensor')).map((r) => String(r.sensor));
  }

  async incidents(q: IncidentQuery): Promise<IncidentPage> {
    const { where, orderBy, params } = incidentSql(q, 'pg');
    const n = params.length;
    const [count, rows] = await Promise.all([
      this.all(`SELECT count(*) AS n FROM incidents ${where}`, params),
      // keys first, then the page's rows (as the SQLite source: scans' host lists stay out of the sort)
      this.all(`SELECT * FROM incidents WHERE (sensor, run_id, id) IN (SELECT sensor, run_id, id FROM incidents ${where} ORDER BY ${orderBy} LIMIT $${n + 1} OFFSET $${n + 2}) ORDER BY ${orderBy}`, [...params, q.perPage, (q.page - 1) * q.perPage]),
    ]);
    return { total: Number(count[0].n), rows: rows.map((r) => incidentRow(r, String(r.sensor))) };
  }

  async incident(key: IncidentKey): Promise<IncidentRow | null> {
    const r = await this.all('SELECT * FROM incidents WHERE sensor = $1 AND run_id = $2 AND id = $3', [key.sensor, key.runId, key.id]);
    return r.length ? incidentRow(r[0], key.sensor) : null;
  }

  async anomalies(key: IncidentKey, limit: number): Promise<AnomalyRow[]> {
    // anomalies_incident (sensor, run_id, incident_id) serves this.
    return (await this.all('SELECT * FROM anomalies WHERE sensor = $1 AND run_id = $2 AND incident_id = $3 ORDER BY frame, id LIMIT $4', [key.sensor, key.runId, key.id, limit])).map(anomalyRow);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** classifyPgError speaks to a forwarder ("alerts wait in the local SQLite file"); the view has no such file. */
function pgMessage(e: unknown, label: string): string {
  return classifyPgError(e, label).message.replace(/ \(alerts wait in the local SQLite file\)$/, '').replace(/grant the sensor's role its rights \(lln-detect fleet grants ROLE\)/, 'grant the role SELECT on lln_schema, sensors, runs, anomalies, incidents (docs/ui.md)');
}
