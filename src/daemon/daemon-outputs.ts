import path from 'node:path';
import { CsvSink } from '../outputs/csv-sink';
import { FanoutSink } from '../outputs/fanout-sink';
import { JsonlSink } from '../outputs/jsonl-sink';
import { checkWritable } from '../outputs/output-check';
import type { AnomalySink } from '../outputs/records';
import { SqliteSink } from '../outputs/sqlite-sink';
import type { DaemonConfig } from './config-schema';
import { makePrivateDir } from './private-files';

/** The daemon's sinks from its config: checked writable first, then opened. */
export function openDaemonSinks(cfg: DaemonConfig): FanoutSink {
  const o = cfg.outputs;
  const paths = [o.sqlite || null, o.csv?.path ?? null, o.jsonl && o.jsonl.path !== 'stdout' ? o.jsonl.path : null];
  for (const p of paths) {
    if (!p) continue;
    makePrivateDir(path.dirname(p));
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
