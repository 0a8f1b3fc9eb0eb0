import type { Scaler } from '../features/scaler';
import { anomalyFromPacket, anomalyKey } from '../outputs/anomaly-from-packet';
import type { IncidentTracker } from '../outputs/incident-tracker';
import type { AnomalyRecord, AnomalySink, IncidentRecord, RunRecord } from '../outputs/records';
import type { ScoresCsvWriter } from '../outputs/scores-csv';
import type { FinalPackets, HeldKind } from './pending-packets';
import type { ScoreTrace } from './score-trace';

export interface AlertStageOptions {
  sink: AnomalySink;
  tracker: IncidentTracker;
  run: RunRecord;
  threshold: number;
  scaler: Scaler;
  scoresCsv?: ScoresCsvWriter;
  trace?: ScoreTrace;
  /** Features named in an explanation. */
  topFeatures?: number;
  /** Called for every anomaly row written (summaries, metrics). */
  onAnomaly?: (row: AnomalyRecord) => void;
  /** Mark every row and incident as provisional (the daemon while it learns its network). */
  provisional?: boolean;
  /** Called with every batch of incident updates the sinks receive (summary tables). */
  onIncidents?: (rows: IncidentRecord[]) => void;
  /** Called once a batch: its packets, and how many reached the threshold (rate-limited rows included). */
  onScored?: (packets: number, flagged: number) => void;
}

/**
 * Packets with final scores → threshold → explanation → incidents/rate limits → sinks.
 * One stage for replay and daemon, so both write the same rows.
 */
export class AlertStage {
  constructor(private readonly o: AlertStageOptions) {}

  handle(final: FinalPackets): void {
    const { run, threshold } = this.o;
    const rows: AnomalyRecord[] = [];
    let flagged = 0;
    for (let i = 0; i < final.length; i++) {
      const frame = final.frame(i);
      const ts = final.ts(i);
      const score = final.score(i);
      this.o.scoresCsv?.write(frame, ts, score);
      this.o.trace?.add(ts, score);
      if (score >= threshold) {
        flagged++;
        const p = final.decoded(i);
        const attentionFrame = final.attentionFrame(i);
        const placed = this.o.tracker.add(anomalyKey(p, run.id, score, attentionFrame));
        // A flood is mostly rate-limited rows: explain and format only what gets written or leads its incident.
        if (placed.write || placed.newMax) {
          const why = this.explain(final.scaledRow(i), final.heldFrom(i), final.heldKind(i));
          if (placed.newMax) this.o.tracker.explainIncident(placed.incidentId, why);
          if (placed.write) {
            const row = anomalyFromPacket(p, { runId: run.id, score, threshold, attentionFrame, incidentId: placed.incidentId, topFeatures: why });
            if (this.o.provisional) row.provisional = true;
            rows.push(row);
            this.o.onAnomaly?.(row);
          }
        }
      } else if (frame % 256 === 0) {
        this.o.tracker.advance(frame, ts); // lets quiet periods close incidents
      }
    }
    run.packets += final.length;
    this.o.onScored?.(final.length, flagged);
    this.o.sink.writeAnomalies(rows);
    this.upsert(this.o.tracker.drainUpdates());
    const t = this.o.tracker.totals();
    run.anomalies = t.written;
    run.suppressed = t.suppressed;
    run.incidents = t.incidents;
  }

  /** End of run: close every incident and persist their final state. */
  finish(): void {
    this.upsert(this.o.tracker.closeAll());
    const t = this.o.tracker.totals();
    this.o.run.anomalies = t.written;
    this.o.run.suppressed = t.suppressed;
    this.o.run.incidents = t.incidents;
  }

  private upsert(rows: IncidentRecord[]): void {
    if (this.o.provisional) for (const r of rows) r.provisional = true;
    this.o.sink.upsertIncidents(rows);
    this.o.onIncidents?.(rows);
  }

  /**
   * "feature=+6.2σ, other=-3.1σ": the packet's most deviating features. The pipeline keeps the
   * scaled row of every packet in a window at or above the threshold, so an anomaly has one,
   * unless its score is a verdict it holds (flow-hold.ts): then the explanation names the opening
   * frame that earned it ("flow verdict of frame 120", "service verdict of frame 120" when that
   * frame opened an earlier flow of the same client to the same service, "actor verdict of frame
   * 120" when it was its source's tenth odd attempt within 5 minutes, "target verdict of frame 120"
   * when it was the tenth odd attempt at its destination, actor-hold.ts), followed by
   * the packet's own features when kept.
   */
  private explain(vec: Float32Array | null, heldFrom: number, kind: HeldKind): string {
    const held = heldFrom >= 0 ? `${kind} verdict of frame ${heldFrom}` : '';
    if (vec === null) return held;
    const own = this.o.scaler
      .deviations(vec, 0, this.o.topFeatures ?? 3)
      .map((d) => `${d.name}=${d.z >= 0 ? '+' : ''}${d.z.toFixed(1)}σ`)
      .join(', ');
    return held ? `${held}; ${own}` : own;
  }
}
