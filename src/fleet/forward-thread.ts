import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { logger } from '../logger';
import type { ForwardReason } from './forward-error';
import type { ForwardObserver } from './forward-metrics';
import type { PgTargetOptions } from './pg-target';

export type ToForwardWorker = { type: 'stop'; drainMs: number } | { type: 'refresh' };
export type FromForwardWorker =
  | { type: 'started' }
  | { type: 'failed'; message: string; reason: ForwardReason }
  | { type: 'forwarded'; rows: { runs: number; incidents: number; anomalies: number } }
  | { type: 'failing'; reason: ForwardReason | null }
  | { type: 'pending'; rows: number; lagSeconds: number }
  | { type: 'stopped'; forwarded: number; anomaliesSent: number; inserted: number; pending: number; error: string | null; reason: ForwardReason | null };

export interface ForwardThreadOptions {
  db: string;
  target: PgTargetOptions;
  batchRows?: number;
  idleMs?: number;
  retryMaxMs?: number;
  observer?: ForwardObserver;
}

export interface ForwardSummary {
  forwarded: number;
  anomaliesSent: number;
  inserted: number;
  pending: number;
  error: string | null;
  reason: ForwardReason | null;
}

/**
 * The main thread's handle on the forwarder worker. It never throws into its caller: a forwarder
 * that cannot start (the file claimed by another sensor id) logs one line, reports itself failing
 * on /metrics, and capture and local scoring go on.
 */
export class ForwardThread {
  private readonly worker: Worker;
  private readonly stopped: Promise<ForwardSummary>;
  private lastPending = 0;
  private startFailure: ForwardSummary | null = null;

  constructor(o: ForwardThreadOptions) {
    const { observer, ...data } = o;
    this.worker = new Worker(path.join(__dirname, 'forward-worker.js'), {
      workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 },
    });
    this.stopped = new Promise<ForwardSummary>((resolve) => {
      this.worker.on('message', (m: FromForwardWorker) => {
        if (m.type === 'forwarded') observer?.forwarded(m.rows);
        else if (m.type === 'failing') observer?.failing(m.reason);
        else if (m.type === 'pending') {
          this.lastPending = m.rows;
          observer?.pending(m.rows, m.lagSeconds);
        } else if (m.type === 'failed') {
          logger.error(`forward: ${m.message}`);
          observer?.failing(m.reason);
          this.startFailure = { forwarded: 0, anomaliesSent: 0, inserted: 0, pending: -1, error: m.message, reason: m.reason };
          void this.worker.terminate();
        } else if (m.type === 'stopped') {
          resolve(m);
        }
      });
      this.worker.on('error', (e) => {
        logger.error(`forward: the forwarder thread failed: ${e.message}`);
        resolve({ forwarded: 0, anomaliesSent: 0, inserted: 0, pending: this.lastPending, error: e.message, reason: 'local' });
      });
      this.worker.on('exit', () => resolve(this.startFailure ?? { forwarded: 0, anomaliesSent: 0, inserted: 0, pending: this.lastPending, error: 'forwarder thread exited', reason: 'local' }));
    });
  }

  /** Ask for a fresh pending count (the gauges); cheap, answered asynchronously. */
  refresh(): void {
    this.worker.postMessage({ type: 'refresh' } satisfies ToForwardWorker);
  }

  /** Finish the batch in flight (and drain up to drainMs), store the position, end the thread. */
  async stop(drainMs = 0): Promise<ForwardSummary> {
    this.worker.postMessage({ type: 'stop', drainMs } satisfies ToForwardWorker);
    const s = await this.stopped;
    await this.worker.terminate();
    return s;
  }
}
