import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { parseConfig } from '../../src/daemon/config-load';
import { DaemonMetrics } from '../../src/daemon/metrics';
import { Learner } from '../../src/learn/learner';
import { logger } from '../../src/logger';
import { DEFAULT_MODEL_DIR } from '../../src/paths';

/**
 * A Learner on its own state dir under `tmp`, with a host that records model swaps; its log lines
 * are collected. `learning`: the config's `learning:` section body (indented YAML), if any.
 */
export function learnerFor(tmp: string, name: string, o: { learning?: string; threshold?: number } = {}) {
  const state = path.join(tmp, name);
  const learning = o.learning ? `learning:\n${o.learning}` : '';
  const cfg = parseConfig(`spool: {dir: ${tmp}}\nstateDir: ${state}\nuser: root\n${learning}`, path.join(tmp, `${name}.yaml`));
  const adopted: string[] = [];
  const host = { inUse: () => ({ dir: DEFAULT_MODEL_DIR, id: 'shipped', threshold: o.threshold ?? 0.5, window: 32, stride: 16 }), adopt: async (_d: string | undefined, why: string) => void adopted.push(why) };
  const metrics = new DaemonMetrics({ processMetrics: false });
  const lines: string[] = [];
  const stream = new Writable({ objectMode: true, write: (info: { message: unknown }, _e, done) => (lines.push(String(info.message)), done()) });
  const transport = new winston.transports.Stream({ stream });
  logger.add(transport);
  const learner = new Learner(cfg, host, metrics);
  const close = async () => {
    await learner.stop();
    logger.remove(transport);
  };
  return { state, learner, metrics, adopted, lines, close };
}
