import type { RunRecord } from '../outputs/records';
import { describeCaptureLoss } from './capture-loss';

/** What the spool folder's files added: each file is a run of its own, not part of the daemon's run. */
export interface SpoolTotals {
  files: number;
  packets: number;
  anomalies: number;
  incidents: number;
}

export const noSpoolTotals = (): SpoolTotals => ({ files: 0, packets: 0, anomalies: 0, incidents: 0 });

export interface StopCounts {
  /** Packets live capture took from the interfaces. */
  captured: number;
  /** The daemon's run (live capture): packets committed, windows, anomalies, incidents. */
  run: RunRecord;
  scored: number;
  droppedWindows: number;
  /** Capture loss goes in the line only when the daemon captured on interfaces. */
  live: boolean;
  /** Overload shedding's totals (overload.shed), in the line when any window was shed or packet filled. */
  shed?: { windows: number; packets: number; maxStride: number } | null;
  /** Set when a spool folder is configured. */
  spool: SpoolTotals | null;
  /**
   * Set when the database failed (a full disk): the anomaly and incident rows it holds of this
   * daemon's runs, fewer than the counts found, which the line then sets beside them.
   */
  committed?: { anomalies: number; incidents: number } | null;
}

/**
 * The daemon's last line. Anomalies and incidents are those of every source (live capture and
 * spool files), so an operator never reads 0 when spool files raised alerts; the spool part
 * says how much of it came from there. captured == packets stays the live-capture check.
 */
export function stopSummary(c: StopCounts): string {
  const { run, spool } = c;
  const anomalies = run.anomalies + (spool?.anomalies ?? 0);
  const incidents = run.incidents + (spool?.incidents ?? 0);
  const fromSpool = spool
    ? `, spool files ${spool.files} (packets scored ${spool.packets}, anomalies ${spool.anomalies}, incidents ${spool.incidents})`
    : '';
  const held = c.committed ? ` (the database failed: it holds ${c.committed.anomalies} anomalies and ${c.committed.incidents} incidents of them)` : '';
  const shed = c.shed && (c.shed.windows > 0 || c.shed.packets > 0)
    ? `shed windows ${c.shed.windows} (packets in no scored window ${c.shed.packets}, stride up to ${c.shed.maxStride}), ` : '';
  return `daemon stopped: captured ${c.captured}, packets ${run.packets}, scored ${c.scored}, windows ${run.windows}, ` +
    `dropped windows ${c.droppedWindows}, ${shed}${c.live ? `${describeCaptureLoss(run)}, ` : ''}anomalies ${anomalies}, incidents ${incidents}${held}${fromSpool}, status ${run.status}`;
}
