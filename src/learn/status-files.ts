/** Files in the state directory the daemon writes and the CLI (`status`, `learn`, `model`) reads. */
export const STATUS_FILE = 'status.json';
export const INCIDENTS_FILE = 'incidents.json';
/** `lln-detect learn --now | --reset`, `model rollback` leave one of these in <stateDir>/requests/ for the daemon. */
export const REQUESTS = ['learn-now', 'reset', 'rollback'] as const;
export type RequestName = (typeof REQUESTS)[number];

export interface IncidentNote { key: string; startTs: number; endTs: number; provisional: boolean; packets: number }

export interface StatusSnapshot {
  pid: number | null;
  updatedAt: string;
  running: boolean;
  model: { id: string; dir: string; own: boolean; threshold: number };
  spool: { packets: number; bytes: number; files: number; maxBytes: number };
  learning: { period: string; minPackets: number; retrainEvery: string };
  training: { since: string; reason: string } | null;
  /** Anomaly rows written per hour (key: hours since the epoch), the last 48 hours. */
  alertsByHour: Record<string, number>;
  lastEvent: string;
}
