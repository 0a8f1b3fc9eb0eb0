import type { AnomalyRecord, AnomalySink, IncidentRecord, RunRecord } from './records';
import { ANOMALY_COLUMNS } from './record-columns';
import { csvCell } from './csv-cell';
import { RotatingFile, type RotateOptions } from './rotating-file';

export interface CsvSinkOptions {
  rotate?: RotateOptions;
  /** Wall clock in ms, for daily rotation (tests move time). */
  now?: () => number;
}

export const CSV_HEADER = ANOMALY_COLUMNS.map(([name]) => name).join(',');

/**
 * Anomaly rows as CSV (the same columns as the SQLite anomalies table; incidents live in
 * SQLite/JSON lines and are joined by run_id + incident_id). Lines end in LF, not RFC 4180's
 * CRLF, so grep/awk/cut see clean last fields; every RFC 4180 reader accepts LF.
 * Appending to an existing file keeps its single header.
 */
export class CsvSink implements AnomalySink {
  private readonly file: RotatingFile;

  constructor(
    readonly path: string,
    options: CsvSinkOptions = {},
  ) {
    this.file = new RotatingFile(path, { header: CSV_HEADER, rotate: options.rotate, now: options.now });
  }

  startRun(_run: RunRecord): void {}

  writeAnomalies(rows: AnomalyRecord[]): void {
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) {
      let line = '';
      for (let i = 0; i < ANOMALY_COLUMNS.length; i++) {
        const v = ANOMALY_COLUMNS[i][1] === 'incidentId' && row.incidentId === 0 ? null : row[ANOMALY_COLUMNS[i][1]];
        line += (i === 0 ? '' : ',') + csvCell(v);
      }
      text += line + '\n';
    }
    this.file.write(text);
  }

  upsertIncidents(_rows: IncidentRecord[]): void {}

  finishRun(_run: RunRecord): void {}

  /** Start a new file now (also happens by itself with the rotate options). */
  rotate(): string {
    return this.file.rotate();
  }

  reopen(): void {
    this.file.reopen();
  }

  close(): void {
    this.file.close();
  }
}
