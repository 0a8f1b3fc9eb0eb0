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
  /** earlyFirstModelAt: absent from an older daemon's snapshot. */
  learning: { period: string; minPackets: number; retrainEvery: string; earlyFirstModelAt?: number };
  training: { since: string; reason: string } | null;
  /** Anomaly rows written per hour (key: hours since the epoch), the last 48 hours. */
  alertsByHour: Record<string, number>;
  /** Of those, the provisional ones (written while learning); absent in a snapshot of an older daemon. */
  provisionalByHour?: Record<string, number>;
  lastEvent: string;
}

/** Anomalies in the 24 hours up to `now`, and how many were provisional (null: the snapshot does not say). */
export function alertsLast24h(snap: StatusSnapshot, now: number): { total: number; provisional: number | null } {
  const hourNow = Math.floor(now / 3600e3);
  const sum = (byHour: Record<string, number>) => Object.entries(byHour).reduce((n, [h, c]) => (Number(h) > hourNow - 24 ? n + c : n), 0);
  return { total: sum(snap.alertsByHour), provisional: snap.provisionalByHour ? sum(snap.provisionalByHour) : null };
}

/**
 * Incidents the own models raised (not provisional) that started in the 24 hours up to `now`
 * (ms), from the incidents file the daemon keeps; null when there is none to read. Each may be
 * true or false: what the operator sets against the model's promise of false incidents a day.
 */
export function ownIncidentsLast24h(list: IncidentNote[] | null, now: number): number | null {
  if (!Array.isArray(list)) return null;
  const from = now / 1000 - 86400;
  return list.filter((i) => !i.provisional && i.startTs >= from && i.startTs <= now / 1000 + 60).length;
}
