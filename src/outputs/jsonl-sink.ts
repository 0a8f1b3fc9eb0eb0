import { isoFromEpoch } from './anomaly-from-packet';
import type { AnomalyRecord, AnomalySink, IncidentRecord, RunRecord } from './records';
import { ANOMALY_COLUMNS, INCIDENT_COLUMNS, RUN_COLUMNS, toExternal } from './record-columns';
import { RotatingFile, type RotateOptions } from './rotating-file';
import { jsonLine } from './json-line';
import { writeStdout } from './sync-output';

export interface JsonlSinkOptions {
  rotate?: RotateOptions;
  now?: () => number;
}

/**
 * JSON lines for log shippers (Filebeat, Vector, jq): {"type":"anomaly",...} per anomaly,
 * {"type":"incident",...} per incident update (the latest line for an id wins) and
 * {"type":"run",...} at start and finish. Keys are the CSV/SQLite column names.
 * Path '-' writes to stdout (logs go to stderr, so stdout stays pure JSON lines).
 */
export class JsonlSink implements AnomalySink {
  private readonly file: RotatingFile | null;

  constructor(
    readonly path: string,
    options: JsonlSinkOptions = {},
  ) {
    this.file = path === '-' ? null : new RotatingFile(path, { rotate: options.rotate, now: options.now });
  }

  private emit(text: string): void {
    if (text.length === 0) return;
    if (this.file) this.file.write(text);
    else writeStdout(text); // synchronous: a closed pipe or full disk fails here, as a file does
  }

  startRun(run: RunRecord): void {
    this.emit(jsonLine(toExternal(run, RUN_COLUMNS, { type: 'run' })) + '\n');
  }

  writeAnomalies(rows: AnomalyRecord[]): void {
    let text = '';
    for (const row of rows) {
      const o = toExternal(row, ANOMALY_COLUMNS, { type: 'anomaly' });
      if (row.incidentId === 0) o.incident_id = null;
      text += jsonLine(o) + '\n';
    }
    this.emit(text);
  }

  upsertIncidents(rows: IncidentRecord[]): void {
    let text = '';
    for (const row of rows) {
      const o = toExternal(row, INCIDENT_COLUMNS, { type: 'incident' });
      o.start_iso = isoFromEpoch(row.startTs);
      o.end_iso = isoFromEpoch(row.endTs);
      text += jsonLine(o) + '\n';
    }
    this.emit(text);
  }

  finishRun(run: RunRecord): void {
    this.startRun(run);
  }

  reopen(): void {
    this.file?.reopen();
  }

  close(): void {
    this.file?.close();
  }
}
