import type { Client } from 'pg';
import { ForwardError } from './forward-error';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './pg-schema';

/** Any value: the advisory lock that serialises two sensors (or a sensor and `fleet migrate`) migrating at once. */
const MIGRATE_LOCK = 0x4c4c4e44;

async function currentVersion(client: Client): Promise<number> {
  const t = await client.query(`SELECT to_regclass('lln_schema') IS NOT NULL AS present`);
  if (!t.rows[0].present) return 0;
  const r = await client.query(`SELECT version FROM lln_schema LIMIT 1`);
  return r.rows.length ? Number(r.rows[0].version) : 0;
}

/**
 * Bring the database to this version's schema, or refuse a newer one. A role without the right
 * to create tables (the sensor's usual role) gets a message naming the command the owner runs.
 * Returns the version found before migrating.
 */
export async function ensurePgSchema(client: Client, label: string): Promise<number> {
  const found = await currentVersion(client);
  if (found > PG_SCHEMA_VERSION) throw newerSchema(label, found);
  if (found === PG_SCHEMA_VERSION) return found;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    const v0 = await currentVersion(client); // someone may have migrated while we waited
    if (v0 > PG_SCHEMA_VERSION) throw newerSchema(label, v0);
    for (let v = v0; v < PG_SCHEMA_VERSION; v++) {
      await client.query(PG_MIGRATIONS[v]);
      await client.query('UPDATE lln_schema SET version = $1', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (e instanceof ForwardError) throw e;
    if ((e as { code?: string }).code === '42501') {
      throw new ForwardError('schema', `PostgreSQL ${label} has lln-detect schema v${found}, this sensor needs v${PG_SCHEMA_VERSION} and its role may not create tables; run 'lln-detect fleet migrate --pg URL' as the database owner (alerts wait in the local SQLite file)`, { cause: e });
    }
    throw e;
  }
  return found;
}

function newerSchema(label: string, found: number): ForwardError {
  return new ForwardError('schema', `PostgreSQL ${label} has lln-detect schema v${found}, newer than this sensor knows (v${PG_SCHEMA_VERSION}); upgrade lln-detect on this sensor (alerts wait in the local SQLite file)`);
}
