import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The daemon's spool-file runs in an alerts DB: [capture file name, status, packets, anomaly rows it holds], oldest first; none without a DB. */
export function replayRuns(db: string): Array<[string, string, number, number]> {
  if (!existsSync(db)) return [];
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(`SELECT id, sources, status, packets FROM runs WHERE mode = 'replay' ORDER BY id`).all() as Array<{ id: number; sources: string; status: string; packets: number }>)
      .map((r) => [path.basename(JSON.parse(r.sources)[0]), r.status, r.packets, (d.prepare('SELECT COUNT(*) AS c FROM anomalies WHERE run_id = ?').get(r.id) as { c: number }).c]);
  } finally {
    d.close();
  }
}
