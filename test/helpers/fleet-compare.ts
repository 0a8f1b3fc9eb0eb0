import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { PgServer } from './pg-server';

type R = Record<string, unknown>;
const norm = (rows: R[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : typeof v === 'number' || typeof v === 'bigint' ? Number(v) : /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(String(v)) && k !== 'ts_iso' ? Number(v) : v])));

const QUERIES = {
  runs: ['SELECT id, started_at, finished_at, mode, status, packets, anomalies, incidents, threshold FROM runs', 'ORDER BY id'],
  anomalies: ['SELECT id, run_id, frame, ts, ts_iso, src_ip, dst_ip, src_port, dst_port, protocol, score, incident_id, top_features, community_id FROM anomalies', 'ORDER BY run_id, id'],
  incidents: ['SELECT run_id, id, first_frame, last_frame, packets, anomalies, max_score, main_source, main_target, hosts FROM incidents', 'ORDER BY run_id, id'],
} as const;

/**
 * Every row of the local SQLite file is in PostgreSQL under `sensor`, once, with the same
 * values, and PostgreSQL has nothing else for that sensor. Returns the row counts.
 */
export async function assertForwardedExactlyOnce(dbPath: string, pg: PgServer, sensor: string): Promise<{ runs: number; anomalies: number; incidents: number }> {
  const db = new Database(dbPath, { readonly: true });
  const counts = { runs: 0, anomalies: 0, incidents: 0 };
  try {
    for (const [table, [select, order]] of Object.entries(QUERIES) as Array<[keyof typeof QUERIES, readonly [string, string]]>) {
      const local = norm(db.prepare(`${select} ${order}`).all() as R[]);
      const central = norm(await pg.query(`${select} WHERE sensor = $1 ${order}`, [sensor]));
      assert.equal(central.length, local.length, `${table}: ${central.length} rows in PostgreSQL for ${sensor}, ${local.length} in ${dbPath}`);
      assert.deepEqual(central, local, `${table} of ${sensor} differ`);
      counts[table] = local.length;
    }
  } finally {
    db.close();
  }
  return counts;
}

export function forwardState(dbPath: string): { anomaly_pos: number; change_pos: number; forwarded_rows: number; sensor: string; last_error: string | null } {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM forward_state WHERE id = 1').get() as never;
  } finally {
    db.close();
  }
}
