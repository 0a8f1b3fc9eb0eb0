/**
 * The lln-detect SQLite schema as an ordered list of migrations. `PRAGMA user_version` holds
 * how many have been applied; a fresh file runs them all, an older file runs the missing tail,
 * so the upgrade path is exercised on every new database, not only on old ones.
 * Never edit a published step: append a new one.
 */

/** PRAGMA application_id marking a file as an lln-detect database ("LLND"). */
export const LLN_APPLICATION_ID = 0x4c4c4e44;

export const MIGRATIONS: readonly string[] = [
  // v1: the initial schema.
  `
  CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    mode        TEXT NOT NULL,
    sources     TEXT NOT NULL,
    model_id    TEXT NOT NULL,
    threshold   REAL NOT NULL,
    packets     INTEGER NOT NULL DEFAULT 0,
    anomalies   INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL
  );
  CREATE TABLE anomalies (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    frame       INTEGER NOT NULL,
    ts          REAL NOT NULL,
    ts_iso      TEXT NOT NULL,
    source      TEXT NOT NULL,
    src_mac     TEXT,
    dst_mac     TEXT,
    src_ip      TEXT,
    dst_ip      TEXT,
    src_port    INTEGER,
    dst_port    INTEGER,
    protocol    TEXT NOT NULL,
    length      INTEGER NOT NULL,
    score       REAL NOT NULL,
    threshold   REAL NOT NULL,
    incident_id INTEGER
  );
  CREATE INDEX anomalies_ts ON anomalies(ts);
  CREATE INDEX anomalies_score ON anomalies(score);
  CREATE INDEX anomalies_src_ip ON anomalies(src_ip);
  CREATE TABLE incidents (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    id          INTEGER NOT NULL,
    first_frame INTEGER NOT NULL,
    last_frame  INTEGER NOT NULL,
    start_ts    REAL NOT NULL,
    start_iso   TEXT NOT NULL,
    end_ts      REAL NOT NULL,
    end_iso     TEXT NOT NULL,
    hosts       TEXT NOT NULL,
    ports       TEXT NOT NULL,
    packets     INTEGER NOT NULL,
    anomalies   INTEGER NOT NULL,
    max_score   REAL NOT NULL,
    PRIMARY KEY (run_id, id)
  );
  `,
  // v2: explanations, Community ID, rate-limit accounting, model hash, incident lookups.
  `
  ALTER TABLE runs ADD COLUMN model_sha256 TEXT NOT NULL DEFAULT '';
  ALTER TABLE runs ADD COLUMN windows INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN incidents INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE anomalies ADD COLUMN interface_id INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE anomalies ADD COLUMN attention_frame INTEGER;
  ALTER TABLE anomalies ADD COLUMN top_features TEXT NOT NULL DEFAULT '';
  ALTER TABLE anomalies ADD COLUMN community_id TEXT;
  ALTER TABLE incidents ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE incidents ADD COLUMN attention_frame INTEGER;
  ALTER TABLE incidents ADD COLUMN top_features TEXT NOT NULL DEFAULT '';
  CREATE INDEX anomalies_incident ON anomalies(incident_id, run_id);
  CREATE INDEX anomalies_dst_port ON anomalies(dst_port);
  `,
  // v3: who an incident is about, as plain columns (the hosts list of a scan is hundreds long).
  // Incidents written before v3 keep NULL / 0 here: their packets are in anomalies.
  `
  ALTER TABLE incidents ADD COLUMN main_source TEXT;
  ALTER TABLE incidents ADD COLUMN main_target TEXT;
  ALTER TABLE incidents ADD COLUMN sources INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE incidents ADD COLUMN targets INTEGER NOT NULL DEFAULT 0;
  `,
  // v4: live capture's loss per run (NULL for replays, and for libpcap's counters when unknown).
  `
  ALTER TABLE runs ADD COLUMN pcap_received INTEGER;
  ALTER TABLE runs ADD COLUMN pcap_dropped INTEGER;
  ALTER TABLE runs ADD COLUMN pcap_ifdropped INTEGER;
  ALTER TABLE runs ADD COLUMN queue_dropped INTEGER;
  `,
  // v5: alerts written while the daemon was learning its network (scored by the shipped model, not yet its own).
  `
  ALTER TABLE anomalies ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE incidents ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
  `,
  // v6: store and forward to a central PostgreSQL (src/fleet/). anomalies are append-only and
  // forwarded by id; runs and incidents change in place, so their changes are logged, but only
  // once a forwarder has claimed the file (a forward_state row): a file never forwarded logs nothing.
  `
  CREATE TABLE forward_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    origin          TEXT NOT NULL,
    sensor          TEXT NOT NULL,
    target          TEXT NOT NULL,
    anomaly_pos     INTEGER NOT NULL DEFAULT 0,
    change_pos      INTEGER NOT NULL DEFAULT 0,
    forwarded_rows  INTEGER NOT NULL DEFAULT 0,
    last_forward_at TEXT,
    caught_up_at    TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_error_at   TEXT
  );
  CREATE TABLE forward_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl    TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    row_id INTEGER NOT NULL
  );
  CREATE TRIGGER forward_runs_insert AFTER INSERT ON runs WHEN EXISTS (SELECT 1 FROM forward_state)
  BEGIN INSERT INTO forward_changes (tbl, run_id, row_id) VALUES ('runs', NEW.id, NEW.id); END;
  CREATE TRIGGER forward_runs_update AFTER UPDATE ON runs WHEN EXISTS (SELECT 1 FROM forward_state)
  BEGIN INSERT INTO forward_changes (tbl, run_id, row_id) VALUES ('runs', NEW.id, NEW.id); END;
  CREATE TRIGGER forward_incidents_insert AFTER INSERT ON incidents WHEN EXISTS (SELECT 1 FROM forward_state)
  BEGIN INSERT INTO forward_changes (tbl, run_id, row_id) VALUES ('incidents', NEW.run_id, NEW.id); END;
  CREATE TRIGGER forward_incidents_update AFTER UPDATE ON incidents WHEN EXISTS (SELECT 1 FROM forward_state)
  BEGIN INSERT INTO forward_changes (tbl, run_id, row_id) VALUES ('incidents', NEW.run_id, NEW.id); END;
  `,
  // v7: the daemon's overload shedding per run (NULL for replays, which never shed): windows not
  // scored, packets in no scored window, seconds spent shedding, the highest level reached.
  `
  ALTER TABLE runs ADD COLUMN windows_shed INTEGER;
  ALTER TABLE runs ADD COLUMN packets_shed INTEGER;
  ALTER TABLE runs ADD COLUMN shed_seconds REAL;
  ALTER TABLE runs ADD COLUMN shed_max_level INTEGER;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
