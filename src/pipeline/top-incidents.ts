import type { IncidentRecord } from '../outputs/records';

/**
 * The latest snapshot of the highest-scoring incidents, for the end-of-run summary table
 * (bounded: keeps `keep` incidents, trimmed as it goes). Fed by AlertStage's onIncidents.
 */
export class TopIncidents {
  private readonly byId = new Map<number, IncidentRecord>();

  constructor(private readonly keep = 10) {}

  note(rows: IncidentRecord[]): void {
    for (const r of rows) this.byId.set(r.id, r);
    if (this.byId.size > this.keep * 4) {
      const top = this.top();
      this.byId.clear();
      for (const r of top) this.byId.set(r.id, r);
    }
  }

  top(): IncidentRecord[] {
    return [...this.byId.values()].sort((a, b) => b.maxScore - a.maxScore || a.id - b.id).slice(0, this.keep);
  }
}
