/**
 * The central PostgreSQL schema: the SQLite tables (same column names, so docs/sqlite.md's
 * queries work after adding `sensor`), each row keyed by its sensor and its local ids, as an
 * ordered list of migrations. `lln_schema.version` holds how many have been applied. Never edit
 * a published step: append a new one.
 */

export const PG_MIGRATIONS: readonly string[] = [
  // v1: sensors, runs, anomalies, incidents; indexes for the README's fleet queries.
  `
  CREATE TABLE lln_schema (version integer NOT NULL);
  INSERT INTO lln_schema (version) VALUES (0);
  CREATE TABLE sensors (
    sensor        text PRIMARY KEY,
    origin        text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE runs (
    sensor         text NOT NULL,
    id             bigint NOT NULL,
    started_at     text NOT NULL,
    finished_at    text,
    mode           text NOT NULL,
    sources        text NOT NULL,
    model_id       text NOT NULL,
    model_sha256   text NOT NULL DEFAULT '',
    threshold      double precision NOT NULL,
    packets        bigint NOT NULL DEFAULT 0,
    windows        bigint NOT NULL DEFAULT 0,
    anomalies      bigint NOT NULL DEFAULT 0,
    incidents      bigint NOT NULL DEFAULT 0,
    suppressed     bigint NOT NULL DEFAULT 0,
    status         text NOT NULL,
    pcap_received  bigint,
    pcap_dropped   bigint,
    pcap_ifdropped bigint,
    queue_dropped  bigint,
    PRIMARY KEY (sensor, id)
  );
  CREATE TABLE anomalies (
    sensor          text NOT NULL,
    id              bigint NOT NULL,
    run_id          bigint NOT NULL,
    frame           bigint NOT NULL,
    ts              double precision NOT NULL,
    ts_iso          text NOT NULL,
    source          text NOT NULL,
    interface_id    integer NOT NULL DEFAULT 0,
    src_mac         text,
    dst_mac         text,
    src_ip          text,
    dst_ip          text,
    src_port        integer,
    dst_port        integer,
    protocol        text NOT NULL,
    length          integer NOT NULL,
    score           double precision NOT NULL,
    threshold       double precision NOT NULL,
    incident_id     bigint,
    attention_frame bigint,
    top_features    text NOT NULL DEFAULT '',
    community_id    text,
    PRIMARY KEY (sensor, run_id, id)
  );
  CREATE INDEX anomalies_ts ON anomalies (ts);
  CREATE INDEX anomalies_src_ip ON anomalies (src_ip);
  CREATE INDEX anomalies_score ON anomalies (score);
  CREATE INDEX anomalies_dst_port ON anomalies (dst_port);
  CREATE INDEX anomalies_incident ON anomalies (sensor, run_id, incident_id);
  CREATE TABLE incidents (
    sensor          text NOT NULL,
    run_id          bigint NOT NULL,
    id              bigint NOT NULL,
    first_frame     bigint NOT NULL,
    last_frame      bigint NOT NULL,
    start_ts        double precision NOT NULL,
    start_iso       text NOT NULL,
    end_ts          double precision NOT NULL,
    end_iso         text NOT NULL,
    hosts           text NOT NULL,
    ports           text NOT NULL,
    packets         bigint NOT NULL,
    anomalies       bigint NOT NULL,
    max_score       double precision NOT NULL,
    suppressed      bigint NOT NULL DEFAULT 0,
    attention_frame bigint,
    top_features    text NOT NULL DEFAULT '',
    main_source     text,
    main_target     text,
    sources         integer NOT NULL DEFAULT 0,
    targets         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (sensor, run_id, id)
  );
  CREATE INDEX incidents_end_ts ON incidents (end_ts);
  CREATE INDEX incidents_start_ts ON incidents (start_ts);
  CREATE TABLE anomalies_archive (LIKE anomalies INCLUDING ALL);
  CREATE TABLE incidents_archive (LIKE incidents INCLUDING ALL);
  CREATE TABLE runs_archive (LIKE runs INCLUDING ALL);
  `,
  // v2: the SQLite v5 columns: alerts written while a daemon was learning its network.
  `
  ALTER TABLE anomalies ADD COLUMN provisional integer NOT NULL DEFAULT 0;
  ALTER TABLE incidents ADD COLUMN provisional integer NOT NULL DEFAULT 0;
  ALTER TABLE anomalies_archive ADD COLUMN provisional integer NOT NULL DEFAULT 0;
  ALTER TABLE incidents_archive ADD COLUMN provisional integer NOT NULL DEFAULT 0;
  `,
  // v3: the SQLite v7 columns: the daemon's overload shedding per run (NULL for replays, older
  // sensors and rows forwarded before). runs_archive in the same order: retention moves rows
  // with INSERT … SELECT *. Roles granted UPDATE on runs before get the new columns in
  // pg-migrate.ts (regrantSensors), as a column grant does not cover columns added later.
  `
  ALTER TABLE runs ADD COLUMN windows_shed bigint;
  ALTER TABLE runs ADD COLUMN packets_shed bigint;
  ALTER TABLE runs ADD COLUMN shed_seconds double precision;
  ALTER TABLE runs ADD COLUMN shed_max_level integer;
  ALTER TABLE runs_archive ADD COLUMN windows_shed bigint;
  ALTER TABLE runs_archive ADD COLUMN packets_shed bigint;
  ALTER TABLE runs_archive ADD COLUMN shed_seconds double precision;
  ALTER TABLE runs_archive ADD COLUMN shed_max_level integer;
  `,
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** Columns a forwarder may overwrite: runs and incidents grow while they run; their keys never change. */
export const RUN_UPDATABLE = [
  'finished_at', 'model_id', 'model_sha256', 'threshold', 'packets', 'windows', 'anomalies', 'incidents', 'suppressed', 'status',
  'pcap_received', 'pcap_dropped', 'pcap_ifdropped', 'queue_dropped', 'windows_shed', 'packets_shed', 'shed_seconds', 'shed_max_level',
] as const;
export const INCIDENT_UPDATABLE = [
  'first_frame', 'last_frame', 'start_ts', 'start_iso', 'end_ts', 'end_iso', 'hosts', 'ports', 'packets', 'anomalies', 'max_score',
  'suppressed', 'attention_frame', 'top_features', 'main_source', 'main_target', 'sources', 'targets',
] as const;

/** Each table a sensor's role may update, with the columns it may set there. */
export const GROWING_COLUMNS = { runs: RUN_UPDATABLE, incidents: INCIDENT_UPDATABLE } as const;

/** The UPDATE grant on `table`'s growing columns, as this version names them. */
export function updateGrant(table: keyof typeof GROWING_COLUMNS, role: string): string {
  return `GRANT UPDATE (${GROWING_COLUMNS[table].join(', ')}) ON ${table} TO ${quoteIdent(role)};`;
}

/** Quote an SQL identifier (a role name given by the operator). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The least a sensor's role needs: read and append everywhere, overwrite only the growing
 * columns of runs and incidents (an upsert needs UPDATE on the columns it sets). No DELETE, no
 * TRUNCATE, no DDL: a stolen sensor password can add rows, never erase or rewrite an alert.
 */
export function sensorGrants(role: string): string {
  const r = quoteIdent(role);
  return [
    `GRANT SELECT ON lln_schema TO ${r};`,
    `GRANT SELECT, INSERT ON sensors, runs, anomalies, incidents TO ${r};`,
    updateGrant('runs', role),
    updateGrant('incidents', role),
  ].join('\n');
}
