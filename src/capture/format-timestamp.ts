/** Epoch seconds as text with the source's own precision (µs or ns), as tshark prints frame.time_epoch. */
export function formatEpoch(tsSec: number, tsNsec: number, tsDigits: number): string {
  if (tsDigits <= 0) return String(tsSec);
  const frac = String(tsNsec).padStart(9, '0').slice(0, Math.min(tsDigits, 9));
  return `${tsSec}.${frac}`;
}

/** ISO-8601 UTC with microseconds (SQLite- and SIEM-friendly, sorts as text). */
export function formatIso(tsSec: number, tsNsec: number): string {
  const base = new Date(tsSec * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
  const us = String(Math.floor(tsNsec / 1000)).padStart(6, '0');
  return `${base.slice(0, 19)}.${us}Z`;
}
