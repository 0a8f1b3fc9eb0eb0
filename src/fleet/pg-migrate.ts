import type { Client } from 'pg';
import { ForwardError } from './forward-error';
import { GROWING_COLUMNS, PG_MIGRATIONS, PG_SCHEMA_VERSION, updateGrant } from './pg-schema';

/** Any value: the advisory lock that serialises two sensors (or a sensor and `fleet migrate`) migrating at once. */
const MIGRATE_LOCK = 0x4c4c4e44;

async function currentVersion(client: Client): Promise<number> {
  const t = await client.query(`SELECT to_regclass('lln_schema') IS NOT NULL AS present`);
  if (!t.rows[0].present) return 0;
  const r = await client.query(`SELECT version FROM lln_schema LIMIT 1`);
  return r.rows.length ? Number(r.rows[0].version) : 0;
}

export interface MigrateResult {
  /** The version found before migrating. */
  from: number;
  /** Roles whose UPDATE grants were extended to this version's growing columns. */
  regranted: string[];
}

/**
 * Bring the database to this version's schema, or refuse a newer one. A role without the right
 * to create tables (the sensor's usual role) gets a message naming the command the owner runs.
 */
export async function ensurePgSchema(client: Client, label: string): Promise<MigrateResult> {
  const found = await currentVersion(client);
  if (found > PG_SCHEMA_VERSION) throw newerSchema(label, found);
  if (found === PG_SCHEMA_VERSION) return { from: found, regranted: [] };
  let regranted: string[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    const v0 = await currentVersion(client); // someone may have migrated while we waited
    if (v0 > PG_SCHEMA_VERSION) throw newerSchema(label, v0);
    for (let v = v0; v < PG_SCHEMA_VERSION; v++) {
      await client.query(PG_MIGRATIONS[v]);
      await client.query('UPDATE lln_schema SET version = $1', [v + 1]);
    }
    regranted = await regrantSensors(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (e instanceof ForwardError) throw e;
    if ((e as { code?: string }).code === '42501') {
      throw new ForwardError('schema', `PostgreSQL ${label} has lln-detect schema v${found}, this sensor needs v${PG_SCHEMA_VERSION} and its role may not create tables; run 'lln-detect fleet migrate --pg URL' as the database owner (alerts wait in the local SQLite file)`, { cause: e });
    }
    throw e;
  }
  return { from: found, regranted };
}

/**
 * A column grant names its columns: a sensor role granted UPDATE on runs before a migration added
 * a growing column may not set it, and every upsert of its runs would then fail (permission
 * denied) until someone re-ran `fleet grants`. So, in the migration's transaction, each role that
 * may update some growing column of runs or incidents gets all of this version's, as `fleet
 * grants` gives a new role. A role with no such grant (a viewer) gets nothing it did not have.
 */
async function regrantSensors(client: Client): Promise<string[]> {
  const roles = new Set<string>();
  for (const table of Object.keys(GROWING_COLUMNS) as Array<keyof typeof GROWING_COLUMNS>) {
    const r = await client.query(
      `SELECT DISTINCT r.rolname FROM pg_attribute a CROSS JOIN LATERAL aclexplode(a.attacl) g JOIN pg_roles r ON r.oid = g.grantee
       WHERE a.attrelid = $1::regclass AND a.attname = ANY($2) AND g.privilege_type = 'UPDATE' ORDER BY 1`,
      [table, [...GROWING_COLUMNS[table]]],
    );
    for (const { rolname } of r.rows as Array<{ rolname: string }>) {
      await client.query(updateGrant(table, rolname));
      roles.add(rolname);
    }
  }
  return [...roles].sort();
}

function newerSchema(label: string, found: number): ForwardError {
  return new ForwardError('schema', `PostgreSQL ${label} has lln-detect schema v${found}, newer than this sensor knows (v${PG_SCHEMA_VERSION}); upgrade lln-detect on this sensor (alerts wait in the local SQLite file)`);
}
