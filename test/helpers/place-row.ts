import type { IncidentTracker } from '../../src/outputs/incident-tracker';
import type { AnomalyRecord } from '../../src/outputs/records';

/** A complete anomaly row before the tracker gives it an incident. */
export type AnomalyRow = Omit<AnomalyRecord, 'incidentId'>;

/** What AlertStage does with one anomaly: place it, explain a new incident maximum, return the row if written. */
export function placeRow(tracker: IncidentTracker, row: AnomalyRow): AnomalyRecord | null {
  const placed = tracker.add(row);
  if (placed.newMax) tracker.explainIncident(placed.incidentId, row.topFeatures);
  return placed.write ? { ...row, incidentId: placed.incidentId } : null;
}
