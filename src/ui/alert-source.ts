/**
 * What the web view reads, whatever holds it: a sensor's local SQLite file or the fleet's
 * PostgreSQL. Both have the same tables and column names (src/fleet/pg-schema.ts copies
 * src/outputs/sqlite-schema.ts), so the pages are written once against these rows; only the
 * fleet's rows carry a sensor name (the SQLite source reports '' for it).
 */
export interface RunRow {
  sensor: string;
  id: number;
  startedAt: string;
  finishedAt: string | null;
  mode: string;
  sources: string;
  modelId: string;
  modelSha256: string;
  threshold: number;
  packets: number;
  windows: number;
  anomalies: number;
  incidents: number;
  suppressed: number;
  status: string;
  pcapReceived: number | null;
  pcapDropped: number | null;
  pcapIfdropped: number | null;
  queueDropped: number | null;
  /** The daemon's overload shedding (SQLite v7, PostgreSQL v3): null for replays and for rows older than those columns. */
  windowsShed: number | null;
  packetsShed: number | null;
  shedSeconds: number | null;
  shedMaxLevel: number | null;
}

export interface IncidentRow {
  sensor: string;
  runId: number;
  id: number;
  firstFrame: number;
  lastFrame: number;
  startTs: number;
  startIso: string;
  endTs: number;
  endIso: string;
  mainSource: string | null;
  mainTarget: string | null;
  sources: number;
  targets: number;
  /** JSON arrays as stored (sorted, capped at 1,000): parsed by the page that shows them. */
  hosts: string;
  ports: string;
  packets: number;
  anomalies: number;
  suppressed: number;
  maxScore: number;
  attentionFrame: number | null;
  topFeatures: string;
  provisional: boolean;
}

export interface AnomalyRow {
  id: number;
  frame: number;
  ts: number;
  tsIso: string;
  source: string;
  srcMac: string | null;
  dstMac: string | null;
  srcIp: string | null;
  dstIp: string | null;
  srcPort: number | null;
  dstPort: number | null;
  protocol: string;
  length: number;
  score: number;
  threshold: number;
  attentionFrame: number | null;
  topFeatures: string;
  communityId: string | null;
  provisional: boolean;
}

/** Columns the incident list sorts by; the names are the query string's, mapped to SQL in incident-query.ts. */
export const SORT_KEYS = ['start', 'packets', 'score', 'source', 'target', 'id'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** A checked incident-list request (incident-query.ts builds it from the query string). */
export interface IncidentQuery {
  sensor?: string;
  /** One run; undefined: every run (with from/to, a time range across runs). */
  runId?: number;
  /** Epoch seconds: incidents overlapping [from, to]. */
  from?: number;
  to?: number;
  /** An IP or MAC that is the incident's main source or target, or among its hosts. */
  host?: string;
  port?: number;
  minScore?: number;
  sort: SortKey;
  desc: boolean;
  page: number;
  perPage: number;
}

export interface IncidentPage {
  rows: IncidentRow[];
  /** Incidents matching the filters, all pages. */
  total: number;
}

export interface IncidentKey {
  sensor: string;
  runId: number;
  id: number;
}

export interface AlertSource {
  /** 'SQLite /var/lib/lln-detect/anomalies.db' or 'PostgreSQL host:5432/db': shown in every page's header. */
  readonly label: string;
  /** The fleet's source names sensors; the local one does not. */
  readonly hasSensors: boolean;
  runs(limit: number): Promise<RunRow[]>;
  sensors(): Promise<string[]>;
  incidents(q: IncidentQuery): Promise<IncidentPage>;
  incident(key: IncidentKey): Promise<IncidentRow | null>;
  /** The incident's anomaly rows in frame order (at most 1,000 are written per incident). */
  anomalies(key: IncidentKey, limit: number): Promise<AnomalyRow[]>;
  close(): Promise<void>;
}
