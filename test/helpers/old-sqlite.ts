import Database from 'better-sqlite3';
import { LLN_APPLICATION_ID, MIGRATIONS } from '../../src/outputs/sqlite-schema';

/**
 * An alert database as an older lln-detect left it: the first `version` migrations only (a v6
 * file has no shed columns), with these runs rows written as that version would (column → value).
 */
export function writeOldSqlite(file: string, version: number, runs: Array<Record<string, unknown>>): void {
  const db = new Database(file);
  try {
    db.transaction(() => {
      for (const m of MIGRATIONS.slice(0, version)) db.exec(m);
      db.pragma(`application_id = ${LLN_APPLICATION_ID}`);
      db.pragma(`user_version = ${version}`);
      for (const r of runs) {
        const cols = Object.keys(r);
        db.prepare(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...Object.values(r));
      }
    })();
  } finally {
    db.close();
  }
}
