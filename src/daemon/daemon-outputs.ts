import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CsvSink } from '../outputs/csv-sink';
import { FanoutSink } from '../outputs/fanout-sink';
import { JsonlSink } from '../outputs/jsonl-sink';
import { checkWritable } from '../outputs/output-check';
import type { AnomalySink, RunRecord } from '../outputs/records';
import { SqliteSink } from '../outputs/sqlite-sink';
import { logger } from '../logger';
import type { DaemonConfig } from './config-schema';

/** The daemon's sinks from its config: checked writable first, then opened. */
export function openDaemonSinks(cfg: DaemonConfig): FanoutSink {
  const o = cfg.outputs;
  const paths = [o.sqlite || null, o.csv?.path ?? null, o.jsonl && o.jsonl.path !== 'stdout' ? o.jsonl.path : null];
  for (const p of paths) {
    if (!p) continue;
    mkdirSync(path.dirname(p), { recursive: true });
    checkWritable(p, 'the outputs section of the config');
  }
  const sinks: AnomalySink[] = [];
  try {
    if (o.sqlite) sinks.push(new SqliteSink(o.sqlite));
    if (o.csv) sinks.push(new CsvSink(o.csv.path, { rotate: o.csv.rotate }));
    if (o.jsonl) sinks.push(new JsonlSink(o.jsonl.path === 'stdout' ? '-' : o.jsonl.path));
  } catch (e) {
    for (const s of sinks) s.close();
    throw e;
  }
  return new FanoutSink(sinks);
}

/**
 * Workaround: SqliteSink.updateRun writes counters and status but not model_id/model_sha256 (a
 * replay's model never changes), so after a SIGHUP model swap the daemon writes them itself,
 * on a short-lived second connection (WAL; the sink's writes are never held open across awaits).
 * To remove once SqliteSink.updateRun sets both columns.
 */
export function recordRunModel(sqlitePath: string | false, run: RunRecord): void {
  if (!sqlitePath || run.id <= 0) return;
  try {
    const db = new Database(sqlitePath, { timeout: 5000 });
    try {
      db.prepare('UPDATE runs SET model_id = ?, model_sha256 = ? WHERE id = ?').run(run.modelId, run.modelSha256, run.id);
    } finally {
      db.close();
    }
  } catch (e) {
    logger.warn(`cannot record the new model in run ${run.id} of ${sqlitePath}: ${(e as Error).message}`);
  }
}
