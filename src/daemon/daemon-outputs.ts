import path from 'node:path';
import { CsvSink } from '../outputs/csv-sink';
import { FanoutSink } from '../outputs/fanout-sink';
import { JsonlSink } from '../outputs/jsonl-sink';
import { checkWritable } from '../outputs/output-check';
import type { AnomalySink } from '../outputs/records';
import { SqliteSink } from '../outputs/sqlite-sink';
import type { DaemonConfig } from './config-schema';
import { makePrivateDir } from '../private-files';

/** The daemon's sinks from its config: checked writable first, then opened. A failure is in `.failure`, never thrown. */
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
  // As replay: a failing output (a full disk) is set aside and recorded; the daemon sees it and
  // stops, scoring what it captured into the outputs that still work.
  return new FanoutSink(sinks, { onFailure: 'isolate' });
}
