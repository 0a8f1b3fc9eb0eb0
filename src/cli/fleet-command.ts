import { Client } from 'pg';
import { LlnError } from '../errors';
import { classifyPgError } from '../fleet/forward-error';
import { ensurePgSchema } from '../fleet/pg-migrate';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION, sensorGrants } from '../fleet/pg-schema';
import { pgTarget } from '../fleet/pg-target';
import { applyRetention } from '../fleet/retention';
import { writeStdout } from '../outputs/sync-output';

export interface FleetDbOptions {
  pg: string;
  pgPasswordFile?: string;
}

/** A client for the owner's commands; any failure is one LLN_E_PG line. */
async function withClient<T>(o: FleetDbOptions, fn: (c: Client, label: string) => Promise<T>): Promise<T> {
  let t;
  try {
    t = pgTarget({ url: o.pg, passwordFile: o.pgPasswordFile, sensor: 'admin', where: '--pg' });
  } catch (e) {
    throw new LlnError('LLN_E_USAGE', (e as Error).message);
  }
  const c = new Client(t.clientConfig());
  c.on('error', () => {});
  try {
    await c.connect();
    return await fn(c, t.label);
  } catch (e) {
    if (e instanceof LlnError) throw e;
    throw new LlnError('LLN_E_PG', classifyPgError(e, t.label).message.replace(/ \(alerts wait in the local SQLite file\)$/, ''));
  } finally {
    await c.end().catch(() => {});
  }
}

/** `fleet migrate`: create or upgrade the central schema (as the database owner). */
export async function runFleetMigrate(o: FleetDbOptions): Promise<void> {
  await withClient(o, async (c, label) => {
    const { from, regranted } = await ensurePgSchema(c, label);
    // Named, so the owner knows which sensors' roles may now set the new columns.
    const roles = regranted.length ? `; UPDATE on the growing columns of runs and incidents granted again to ${regranted.join(', ')}` : '';
    writeStdout(from === PG_SCHEMA_VERSION ? `${label}: schema v${PG_SCHEMA_VERSION}, up to date\n` : `${label}: schema v${from} → v${PG_SCHEMA_VERSION}${roles}\n`);
  });
}

/** `fleet grants ROLE`: the GRANT statements a sensor's role needs (printed, for psql). */
export function runFleetGrants(role: string): void {
  writeStdout(sensorGrants(role) + '\n');
}

/** `fleet retention --days N [--archive]`: drop or archive rows older than N days. */
export async function runFleetRetention(o: FleetDbOptions & { days: number; archive?: boolean }): Promise<void> {
  await withClient(o, async (c, label) => {
    const r = await applyRetention(c, o.days, !!o.archive);
    writeStdout(`${label}: ${o.archive ? 'archived' : 'dropped'} rows older than ${o.days} days: anomalies ${r.anomalies}, incidents ${r.incidents}, runs ${r.runs}\n`);
  });
}

/** `fleet schema`: the whole schema as SQL for a fresh database (psql -1 as the owner: one transaction). */
export function runFleetSchema(): void {
  writeStdout(PG_MIGRATIONS.map((m) => m.replace(/^\n/, '').replace(/^  /gm, '')).join('\n') + `UPDATE lln_schema SET version = ${PG_SCHEMA_VERSION};\n`);
}
