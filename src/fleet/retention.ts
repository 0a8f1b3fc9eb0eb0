import type { Client } from 'pg';

export interface RetentionResult {
  anomalies: number;
  incidents: number;
  runs: number;
}

/**
 * Drop (or move to the *_archive tables) what is older than `days`: anomalies by capture time,
 * incidents by their end, finished runs by when they finished (a running run is kept, as are
 * runs that still have anomalies or incidents). One transaction: a reader sees all of it or none.
 * Run by the database owner (the sensors' role may not delete).
 */
export async function applyRetention(client: Client, days: number, archive: boolean): Promise<RetentionResult> {
  const cutoff = Date.now() / 1000 - days * 86400;
  const cutoffIso = new Date(cutoff * 1000).toISOString();
  const move = (table: string, where: string) => archive
    ? `WITH moved AS (DELETE FROM ${table} WHERE ${where} RETURNING *) INSERT INTO ${table}_archive SELECT * FROM moved`
    : `DELETE FROM ${table} WHERE ${where}`;
  await client.query('BEGIN');
  try {
    const a = await client.query(move('anomalies', 'ts < $1'), [cutoff]);
    const i = await client.query(move('incidents', 'end_ts < $1'), [cutoff]);
    const r = await client.query(move('runs', `finished_at IS NOT NULL AND finished_at < $1
      AND NOT EXISTS (SELECT 1 FROM anomalies x WHERE x.sensor = runs.sensor AND x.run_id = runs.id)
      AND NOT EXISTS (SELECT 1 FROM incidents y WHERE y.sensor = runs.sensor AND y.run_id = runs.id)`), [cutoffIso]);
    await client.query('COMMIT');
    return { anomalies: a.rowCount ?? 0, incidents: i.rowCount ?? 0, runs: r.rowCount ?? 0 };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
