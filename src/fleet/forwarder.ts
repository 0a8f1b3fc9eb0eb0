import { Client } from 'pg';
import { logger } from '../logger';
import { classifyPgError, ForwardError, type ForwardReason } from './forward-error';
import type { ForwardObserver } from './forward-metrics';
import { ForwardStore, type ForwardBatch } from './forward-store';
import { ensurePgSchema } from './pg-migrate';
import { PG_SCHEMA_VERSION } from './pg-schema';
import type { PgTarget } from './pg-target';
import { registerSensor, writeBatch } from './pg-writer';

export interface ForwarderOptions {
  db: string;
  target: PgTarget;
  /** Rows per table per batch (one PostgreSQL transaction). */
  batchRows?: number;
  /** Poll interval while caught up. */
  idleMs?: number;
  /** Retry back-off cap while PostgreSQL fails. */
  retryMaxMs?: number;
  observer?: ForwardObserver;
  /** false: failures are not logged (replay --pg reports the one failure itself). */
  logFailures?: boolean;
}

export interface ForwardProgress {
  /** Rows sent in batches PostgreSQL committed, during this forwarder's life. */
  forwarded: number;
  /** Anomaly rows sent in committed batches. */
  anomaliesSent: number;
  /** Anomaly rows that were new to PostgreSQL (anomaliesSent minus re-sent ones). */
  inserted: number;
  pending: number;
  error: ForwardError | null;
}

/**
 * Store and forward, off the capture path: an async loop that reads a batch from the local
 * SQLite file (a few ms), sends it in one PostgreSQL transaction (async: the event loop keeps
 * serving capture meanwhile), then moves the local position. PostgreSQL down, slow or refusing:
 * the loop backs off (1 s doubling to retryMaxMs), logs one line per new kind of failure, and the
 * rows wait in the SQLite file. Nothing here ever throws into the daemon.
 */
export class Forwarder {
  private readonly store: ForwardStore;
  private readonly batchRows: number;
  private readonly idleMs: number;
  private readonly retryMaxMs: number;
  private client: Client | null = null;
  private origin = '';
  private loop: Promise<void> | null = null;
  private stopping = false;
  private drainUntil = 0;
  private wake: (() => void) | null = null;
  private lastLogged = '';
  private failingSince = 0;
  readonly progress: ForwardProgress = { forwarded: 0, anomaliesSent: 0, inserted: 0, pending: 0, error: null };

  constructor(private readonly o: ForwarderOptions) {
    this.store = new ForwardStore(o.db);
    this.batchRows = o.batchRows ?? 2000;
    this.idleMs = o.idleMs ?? 1000;
    this.retryMaxMs = o.retryMaxMs ?? 30_000;
    const claim = this.store.claim(o.target.sensor, o.target.label);
    this.origin = this.store.positions().origin;
    if (claim === 'retarget') logger.info(`forward: ${o.db} now forwards to ${o.target.label}; starting from its first row`);
    this.refreshPending();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Rows not yet forwarded (also updates the pending and lag gauges). */
  refreshPending(): number {
    try {
      const p = this.store.pending();
      this.progress.pending = p.anomalies + p.changed;
      if (this.o.observer) {
        const caught = this.store.positions().caughtUpAt;
        this.o.observer.pending(this.progress.pending, this.progress.pending === 0 || !caught ? 0 : Math.max(0, (Date.now() - Date.parse(caught)) / 1000));
      }
    } catch {
      /* local file busy: the next tick retries */
    }
    return this.progress.pending;
  }

  /**
   * Stop the loop. With drainMs > 0 it first keeps forwarding until caught up, the time is up or
   * an attempt fails; a batch in flight always completes (its position is stored), so the next
   * start resumes exactly where this one ended.
   */
  async stop(drainMs = 0): Promise<ForwardProgress> {
    this.drainUntil = Date.now() + drainMs;
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.dropClient();
    this.refreshPending();
    this.store.close();
    return this.progress;
  }

  /** Forward until caught up or the first failure (replay --pg); the forwarder is closed after. */
  async drain(): Promise<ForwardProgress> {
    this.start();
    return this.stop(Number.MAX_SAFE_INTEGER);
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (true) {
      let more = false;
      try {
        more = await this.forwardOnce();
        backoff = 1000;
      } catch (e) {
        await this.fail(e);
        if (this.stopping) return;
        await this.sleep(backoff);
        backoff = Math.min(this.retryMaxMs, backoff * 2);
        continue;
      }
      if (this.stopping && (!more || Date.now() >= this.drainUntil)) return;
      if (!more) await this.sleep(this.idleMs);
      else await new Promise<void>((r) => setImmediate(r)); // a turn for capture between batches
    }
  }

  /** One batch; true when more rows are waiting. */
  private async forwardOnce(): Promise<boolean> {
    const client = await this.connect();
    let b: ForwardBatch;
    try {
      b = this.store.readBatch(this.batchRows);
    } catch (e) {
      throw new ForwardError('local', `forward: cannot read ${this.o.db}: ${(e as Error).message}`, { cause: e });
    }
    const rows = b.runs.length + b.incidents.length + b.anomalies.length;
    if (b.empty) {
      this.healthy();
      return false;
    }
    const r = await writeBatch(client, this.o.target.sensor, b);
    this.store.advance(b);
    this.progress.forwarded += rows;
    this.progress.anomaliesSent += b.anomalies.length;
    this.progress.inserted += r.anomaliesInserted;
    this.o.observer?.forwarded({ runs: b.runs.length, incidents: b.incidents.length, anomalies: b.anomalies.length });
    this.healthy();
    if (!b.more) this.refreshPending();
    return b.more;
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const t = this.o.target;
    const client = new Client(t.clientConfig());
    // An idle connection that breaks emits 'error'; unhandled, it would end the process.
    client.on('error', () => {
      if (this.client === client) this.client = null;
    });
    try {
      await client.connect();
      const m = await ensurePgSchema(client, t.label);
      // This sensor's role owned the tables and migrated them: say so, as `fleet migrate` would.
      if (m.from !== PG_SCHEMA_VERSION) logger.info(`forward: PostgreSQL ${t.label} schema v${m.from} → v${PG_SCHEMA_VERSION}${m.regranted.length ? `; UPDATE on the growing columns granted again to ${m.regranted.join(', ')}` : ''}`);
      const owner = await registerSensor(client, t.sensor, this.origin);
      if (owner !== this.origin) {
        throw new ForwardError('sensor', `PostgreSQL ${t.label} already has sensor '${t.sensor}' forwarding from another SQLite file; give each sensor its own outputs.postgres.sensor (--sensor) (alerts wait in the local SQLite file)`);
      }
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    this.client = client;
    return client;
  }

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }

  private healthy(): void {
    if (this.progress.error) {
      const secs = Math.round((Date.now() - this.failingSince) / 1000);
      logger.info(`forward: PostgreSQL ${this.o.target.label} takes rows again after ${secs} s of failures; ${this.progress.pending} rows were waiting`);
    }
    if (this.progress.error || this.lastLogged === '') this.o.observer?.failing(null);
    this.progress.error = null;
    this.lastLogged = 'ok';
  }

  private async fail(e: unknown): Promise<void> {
    const fe = classifyPgError(e, this.o.target.label);
    await this.dropClient();
    if (!this.progress.error) this.failingSince = Date.now();
    this.progress.error = fe;
    this.store.recordFailure(fe.message);
    this.o.observer?.failing(fe.reason);
    this.refreshPending();
    // One line per new kind of failure, not one per retry.
    const key = `${fe.reason}:${fe.message}`;
    if (key !== this.lastLogged && this.o.logFailures !== false) {
      logger.error(`forward: ${fe.message}; ${this.progress.pending} rows pending, retrying`);
      this.lastLogged = key;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() { clearTimeout(t); resolve(); }
      this.wake = () => { this.wake = null; done(); };
    });
  }

  get failingReason(): ForwardReason | null {
    return this.progress.error?.reason ?? null;
  }
}
