import type { Client } from 'pg';
import type { ForwardBatch, Row } from './forward-store';
import { INCIDENT_UPDATABLE, RUN_UPDATABLE } from './pg-schema';

/** Column name → PostgreSQL array type for unnest(): one parameter per column, any number of rows. */
type Cols = ReadonlyArray<readonly [string, string]>;

const RUN_COLS: Cols = [
  ['id', 'bigint'], ['started_at', 'text'], ['finished_at', 'text'], ['mode', 'text'], ['sources', 'text'], ['model_id', 'text'],
  ['model_sha256', 'text'], ['threshold', 'float8'], ['packets', 'bigint'], ['windows', 'bigint'], ['anomalies', 'bigint'],
  ['incidents', 'bigint'], ['suppressed', 'bigint'], ['status', 'text'], ['pcap_received', 'bigint'], ['pcap_dropped', 'bigint'],
  ['pcap_ifdropped', 'bigint'], ['queue_dropped', 'bigint'], ['windows_shed', 'bigint'], ['packets_shed', 'bigint'],
  ['shed_seconds', 'float8'], ['shed_max_level', 'integer'],
];
const ANOMALY_COLS: Cols = [
  ['id', 'bigint'], ['run_id', 'bigint'], ['frame', 'bigint'], ['ts', 'float8'], ['ts_iso', 'text'], ['source', 'text'],
  ['interface_id', 'integer'], ['src_mac', 'text'], ['dst_mac', 'text'], ['src_ip', 'text'], ['dst_ip', 'text'],
  ['src_port', 'integer'], ['dst_port', 'integer'], ['protocol', 'text'], ['length', 'integer'], ['score', 'float8'],
  ['threshold', 'float8'], ['incident_id', 'bigint'], ['attention_frame', 'bigint'], ['top_features', 'text'], ['community_id', 'text'],
  ['provisional', 'integer'],
];
const INCIDENT_COLS: Cols = [
  ['run_id', 'bigint'], ['id', 'bigint'], ['first_frame', 'bigint'], ['last_frame', 'bigint'], ['start_ts', 'float8'],
  ['start_iso', 'text'], ['end_ts', 'float8'], ['end_iso', 'text'], ['hosts', 'text'], ['ports', 'text'], ['packets', 'bigint'],
  ['anomalies', 'bigint'], ['max_score', 'float8'], ['suppressed', 'bigint'], ['attention_frame', 'bigint'], ['top_features', 'text'],
  ['main_source', 'text'], ['main_target', 'text'], ['sources', 'integer'], ['targets', 'integer'], ['provisional', 'integer'],
];

function insertSql(table: string, cols: Cols, conflict: string): string {
  const names = ['sensor', ...cols.map(([c]) => c)].join(', ');
  const arrays = ['$1::text', ...cols.map(([, t], i) => `$${i + 2}::${t}[]`)];
  // unnest() of the column arrays gives the rows; the sensor is one scalar for all of them.
  const select = `SELECT $1::text, * FROM unnest(${arrays.slice(1).join(', ')})`;
  return `INSERT INTO ${table} (${names}) ${select} ${conflict}`;
}

const upsert = (key: string, cols: readonly string[]) => `ON CONFLICT (${key}) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`;

const SQL = {
  runs: insertSql('runs', RUN_COLS, upsert('sensor, id', RUN_UPDATABLE)),
  incidents: insertSql('incidents', INCIDENT_COLS, upsert('sensor, run_id, id', INCIDENT_UPDATABLE)),
  // An alert is written once; a re-sent one (after a crash between the two commits) is a no-op.
  anomalies: insertSql('anomalies', ANOMALY_COLS, 'ON CONFLICT (sensor, run_id, id) DO NOTHING'),
};

function columnArrays(rows: Row[], cols: Cols): unknown[][] {
  return cols.map(([c]) => rows.map((r) => {
    const v = r[c];
    return typeof v === 'bigint' ? v.toString() : v ?? null;
  }));
}

export interface WriteResult {
  /** Anomaly rows that were new to PostgreSQL (re-sent ones are not counted). */
  anomaliesInserted: number;
}

/** One transaction per batch: PostgreSQL holds all of it or none, then the local position moves. */
export async function writeBatch(client: Client, sensor: string, b: ForwardBatch): Promise<WriteResult> {
  await client.query('BEGIN');
  try {
    if (b.runs.length) await client.query(SQL.runs, [sensor, ...columnArrays(b.runs, RUN_COLS)]);
    if (b.incidents.length) await client.query(SQL.incidents, [sensor, ...columnArrays(b.incidents, INCIDENT_COLS)]);
    let inserted = 0;
    if (b.anomalies.length) inserted = (await client.query(SQL.anomalies, [sensor, ...columnArrays(b.anomalies, ANOMALY_COLS)])).rowCount ?? 0;
    await client.query('COMMIT');
    return { anomaliesInserted: inserted };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Register this sensor id with its local file's origin; another file (or host) using the same id is refused. */
export async function registerSensor(client: Client, sensor: string, origin: string): Promise<string> {
  await client.query('INSERT INTO sensors (sensor, origin) VALUES ($1, $2) ON CONFLICT (sensor) DO NOTHING', [sensor, origin]);
  const r = await client.query('SELECT origin FROM sensors WHERE sensor = $1', [sensor]);
  return String(r.rows[0].origin);
}
