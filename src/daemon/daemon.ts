import path from 'node:path';
import Database from 'better-sqlite3';
import { DecodeCounters } from '../capture/decode';
import type { RawPacket } from '../capture/raw-packet';
import { readInterfaceCounters } from '../capture/interface-counters';
import { FEATURE_COUNT } from '../features/schema';
import type { WindowScorer } from '../model/scorer-types';
import { IncidentTracker } from '../outputs/incident-tracker';
import type { FanoutSink } from '../outputs/fanout-sink';
import type { RunRecord } from '../outputs/records';
import { AlertStage } from '../pipeline/alert-stage';
import type { OpenedModel } from '../pipeline/open-scorer';
import type { FinalPackets } from '../pipeline/pending-packets';
import { autoBatch, runReplay } from '../pipeline/run-replay';
import { openScorer } from '../pipeline/open-scorer';
import { ScoringPipeline } from '../pipeline/scoring-pipeline';
import { isLlnError, LlnError } from '../errors';
import { configureLogger, logger } from '../logger';
import { CaptureLossMonitor } from './capture-loss';
import { loadConfig } from './config-load';
import type { DaemonConfig } from './config-schema';
import { checkModelFits, openModel } from './daemon-model';
import { openDaemonSinks } from './daemon-outputs';
import { LiveIntake } from './live-intake';
import { OverloadShedder } from './overload-shedder';
import { DaemonMetrics, startMetricsServer, type MetricsServer } from './metrics';
import { sdNotify, startWatchdog } from './sd-notify';
import { describeFsError } from '../outputs/output-check';
import { PRIVATE_UMASK, makePrivateDir, securePrivateFiles, securePrivateTree } from '../private-files';
import { dropTarget, PrivilegeDrop, type RunAs } from './privilege-drop';
import { effectiveFilter } from './capture-filter';
import { ownTrafficExpression } from './self-traffic';
import { SpoolWatcher } from './spool-watcher';
import { noSpoolTotals, stopSummary } from './stop-summary';
import { ForwardMetrics } from '../fleet/forward-metrics';
import { ForwardThread } from '../fleet/forward-thread';
import { Learner, learningEnabled } from '../learn/learner';

/** Live windows wait at most this long for a full batch before they are scored. */
const FLUSH_MS = 1000;
/** Packets pushed through the pipeline between two chances for capture to run (~5 ms of work). */
const INTAKE_SLICE = 1024;
/** /healthz and the systemd watchdog fail when the periodic tick has not run for this long (event loop stuck). */
const STUCK_MS = 10_000;

/**
 * `lln-detect daemon`: every configured interface feeds ONE pipeline (one frame numbering, one
 * incident view across interfaces); inference runs in a worker thread; when it falls behind,
 * whole windows are dropped and counted instead of stalling capture. Resolves after SIGTERM/SIGINT
 * once everything captured is scored and committed.
 */
export async function runDaemon(configPath: string): Promise<void> {
  // Signals are taken over first: a SIGTERM while the model loads still ends in a clean stop.
  let requestStop!: (sig: string) => void;
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  const onTerm = () => requestStop('SIGTERM');
  const onInt = () => requestStop('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  // Owner-only for everything the daemon creates, SQLite's -wal and -shm included (the unit's UMask=0077, by hand too).
  process.umask(PRIVATE_UMASK);
  try {
    const cfg = loadConfig(configPath);
    configureLogger(cfg.logging);
    const daemon = new Daemon(configPath, cfg, () => requestStop('an output failed'));
    await daemon.start(stopRequested);
    const sig = await stopRequested;
    // From here a second SIGTERM/SIGINT takes the default action: the process ends at once.
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    if (sig !== 'SIGTERM' && sig !== 'SIGINT') {
      // The daemon stops by itself (an output failed): the first signal now (systemctl stop,
      // Ctrl-C) is the second of nothing, and must not cut short the stop that commits what was
      // captured and marks the run failed; a second one ends the process at once.
      const already = (s: NodeJS.Signals) => {
        process.off('SIGTERM', already);
        process.off('SIGINT', already);
        logger.warn(`${s}: already stopping (${sig}); a second signal ends the process at once`);
      };
      process.on('SIGTERM', already);
      process.on('SIGINT', already);
    }
    logger.info(`${sig}: stopping capture, scoring what was captured`);
    await daemon.stop();
    // Like replay: the output's error is the last line (one line, exit 5), after the run was marked failed.
    if (daemon.failure) throw daemon.failure;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}

/**
 * The anomaly and incident rows a database holds of the daemon's run and the spool-file runs after
 * it (read-only; on a full disk reading still works), or null when it cannot be read.
 */
function committedRows(db: string | false, runId: number): { anomalies: number; incidents: number } | null {
  if (!db || runId <= 0) return null;
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const count = (table: 'anomalies' | 'incidents') => (d.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id >= ?`).get(runId) as { n: number }).n;
      return { anomalies: count('anomalies'), incidents: count('incidents') };
    } finally {
      d.close();
    }
  } catch {
    return null;
  }
}

class Daemon {
  private readonly metrics = new DaemonMetrics();
  private readonly counters = new DecodeCounters();
  private readonly loss = new CaptureLossMonitor(this.metrics);
  private server: MetricsServer | null = null;
  private model: OpenedModel | null = null;
  private sink: FanoutSink | null = null;
  private run: RunRecord | null = null;
  private pipeline: ScoringPipeline | null = null;
  private stage: AlertStage | null = null;
  private tracker: IncidentTracker | null = null;
  private intakes: LiveIntake[] = [];
  private loops: Promise<void>[] = [];
  private spool: SpoolWatcher | null = null;
  private forward: ForwardThread | null = null;
  private ticks = 0;
  private learner: Learner | null = null;
  private tick: NodeJS.Timeout | null = null;
  private watchdog: { stop(): void } | null = null;
  private drop: PrivilegeDrop | null = null;
  private lastTickAt = Date.now();
  private ready = false;
  /** stop() has begun: a spool file not yet reading is left for the next start, one reading stops. */
  private stopping = false;
  /** One lane into the pipeline: interface batches, flushes and model swaps run in order, never interleaved. */
  private lane: Promise<void> = Promise.resolve();
  /** Frame numbers in the order the pipeline sees packets: unique and increasing across interfaces. */
  private frame = 0;
  private scoredPackets = 0;
  /** Overload shedding (overload.shed): chooses how many of the due windows are scored. */
  private shedder: OverloadShedder | null = null;
  /** Captured packets handed to the lane and not yet pushed into the pipeline (with the intake queues: the backlog). */
  private backlog = 0;
  /** Spool files are runs of their own: what they added, for the stop line. */
  private readonly spoolTotals = noSpoolTotals();
  private reloads: Promise<void> = Promise.resolve();
  /** Models a spool file is being scored with on their own worker: not disposed until it is done. */
  private readonly leases = new Map<OpenedModel, number>();
  /** The last reason spool files could not get a worker of their own (logged once, not per file). */
  private spoolModelProblem = '';
  private readonly onHup = () => this.reload();
  private readonly onUsr1 = () => this.reopen();
  private synced = { windows: 0, dropped: 0, scored: 0, suppressed: 0, windowsShed: 0, packetsShed: 0, shedSeconds: 0, decodeErrors: new Map<string, number>() };

  /** The first output failure (a full disk under the database): the daemon stops, the run is marked failed. */
  failure: unknown = null;

  constructor(private readonly configPath: string, private cfg: DaemonConfig, private readonly onOutputFailure: () => void = () => {}) {}

  private get threshold(): number {
    return this.cfg.model.threshold ?? this.model!.threshold;
  }

  /** Open everything; on failure close what was opened (so the process can exit) and rethrow. */
  async start(stopRequested: Promise<string>): Promise<void> {
    try {
      await this.open(stopRequested);
    } catch (e) {
      await this.stop('failed').catch((e2: Error) => logger.error(`cleanup after a failed start: ${e2.message}`));
      throw e;
    }
  }

  private async open(stopRequested: Promise<string>): Promise<void> {
    const cfg = this.cfg;
    const to = dropTarget(cfg.user); // a user that does not exist fails before anything starts
    // Metrics first: a port in use fails in milliseconds, not after loading the model.
    if (cfg.metrics.enabled) {
      const healthy = () => this.ready && Date.now() - this.lastTickAt < STUCK_MS;
      const details = () => (this.learner ? this.learner.describe() : '');
      this.server = await startMetricsServer(cfg.metrics.listen, this.metrics, healthy, details);
      logger.info(`metrics on http://${cfg.metrics.listen}/metrics`);
    }
    this.prepareStateDir(to);
    if (to) {
      this.drop = new PrivilegeDrop(to);
      this.drop.assume();
      this.drop.checkReachable(cfg.stateDir, 'stateDir');
    }
    if (learningEnabled(cfg)) {
      this.learner = new Learner(cfg, { inUse: () => this.inUse(), adopt: (dir, why) => this.adopt(dir, why) }, this.metrics);
    }
    const model = (this.model = await this.openEffectiveModel(cfg));
    const stride = cfg.window.stride ?? model.stride;
    checkModelFits(cfg, model, model.window);
    this.metrics.setModel(model.id, model.backend);
    this.metrics.threshold.set(this.threshold);
    const sink = (this.sink = openDaemonSinks(cfg));
    const run: RunRecord = (this.run = {
      id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'daemon', sources: cfg.interfaces.map((i) => i.name),
      modelId: model.id, modelSha256: model.sha256, threshold: this.threshold, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
    });
    sink.startRun(run);
    if (sink.failure) throw sink.failure;
    this.startForwarding();
    this.tracker = new IncidentTracker({
      maxRowsPerIncident: cfg.alerts.maxRowsPerIncident, maxRowsPerSourcePerMinute: cfg.alerts.maxRowsPerSourcePerMinute, gapSeconds: cfg.alerts.incidentGapSeconds,
    });
    this.stage = this.makeStage();
    this.pipeline = new ScoringPipeline({
      scaler: model.scaler, scorer: this.timed(model.scorer), window: model.window, stride, features: FEATURE_COUNT,
      // 8 batches in flight (2k windows, ~19 MB) ride out the worker's hiccups at 70k pps before any window is dropped.
      batchWindows: 256, maxInFlight: 8, whenBusy: 'drop', counters: this.counters, keepRowsAtOrAbove: this.threshold, alertThreshold: this.threshold,
      fillGaps: cfg.overload.shed, onFinal: (final) => this.onFinal(final),
    });
    this.metrics.pendingPackets = () => this.pipeline?.pendingPackets ?? 0;
    if (cfg.overload.shed) {
      const pipeline = this.pipeline;
      const shedder = (this.shedder = new OverloadShedder({ stride }, () => ({ windowsShed: pipeline.windowsShed, packetsFilled: pipeline.packetsFilled })));
      this.metrics.shedLevel = () => shedder.level;
      this.metrics.shedStride = () => shedder.stride;
    } else {
      this.metrics.shedStride = () => stride;
    }

    // Root again only while the capture handles open (each intake opens its first one synchronously), then never.
    this.drop?.regain();
    this.intakes = cfg.interfaces.map((ifc, i) => {
      const filter = effectiveFilter(ifc, cfg);
      if (ifc.share) logger.info(`capture on ${ifc.name}: share ${ifc.share} of the link (the host pairs hashing to it; the other shares are other sensors')`);
      if (ownTrafficExpression(ifc, cfg)) {
        logger.info(`capture on ${ifc.name}: filter '${filter}' (the sensor's own metrics listener is left out; metrics.excludeOwnTraffic: false keeps it)`);
      }
      return new LiveIntake({ ...ifc, filter }, i, this.metrics);
    });
    const firstOpens = this.intakes.map((intake) => new Promise<unknown>((resolve) => {
      const loop = intake.run({ onPackets: (iface, packets) => this.enqueue(iface, packets), onFirstOpen: (_n, err) => resolve(err) });
      this.loops.push(loop.catch((e: Error) => void logger.error(`capture loop on ${intake.name} failed: ${e.message}`)));
    }));
    if (this.drop) {
      const { name, uid, gid } = this.drop.to;
      this.drop.final();
      logger.info(`dropped root: running as user ${name} (uid ${uid}, gid ${gid}) with the capture handles open; an interface that goes away cannot be reopened until a restart`);
    }
    const openErrors = (await Promise.race([Promise.all(firstOpens), stopRequested.then(() => [])])).filter((e) => e !== undefined);
    if (this.intakes.length > 0 && openErrors.length === this.intakes.length && !cfg.spool) {
      const e = openErrors[0];
      throw e instanceof LlnError ? e : new LlnError('LLN_E_CAPTURE', `no interface could be opened: ${String(e)}`);
    }
    if (cfg.spool) this.startSpool(cfg.spool);

    this.tick = setInterval(() => this.onTick(), FLUSH_MS);
    this.watchdog = startWatchdog(() => Date.now() - this.lastTickAt < STUCK_MS);
    process.on('SIGHUP', this.onHup);
    process.on('SIGUSR1', this.onUsr1);
    this.ready = true;
    sdNotify(`READY=1\nSTATUS=capturing on ${run.sources.join(', ') || '(spool only)'}`);
    logger.info(`daemon ready: run ${run.id}, interfaces ${run.sources.join(', ') || 'none'}${cfg.spool ? `, spool ${cfg.spool.dir}` : ''}`);
  }

  /**
   * The state directory holds captured packets: 0700, everything in it owner-only (an older
   * version or a root shell's umask left it world-readable), and owned by the user the daemon
   * drops to. The SQLite files elsewhere are tightened too; CSV/JSONL elsewhere are left as they are.
   */
  private prepareStateDir(to: RunAs | null): void {
    const dir = this.cfg.stateDir, db = this.cfg.outputs.sqlite;
    let r: ReturnType<typeof securePrivateTree>;
    try {
      makePrivateDir(dir);
      r = securePrivateTree(dir, to ? { uid: to.uid, gid: to.gid } : undefined);
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `stateDir ${dir}: ${describeFsError(e)}; choose another stateDir in the config`, { cause: e });
    }
    if (db && path.relative(dir, db).startsWith('..')) {
      const f = securePrivateFiles([db, `${db}-wal`, `${db}-shm`]);
      r.tightened += f.tightened;
      r.failed.push(...f.failed);
      r.failedCount += f.failedCount;
    }
    const done: string[] = [];
    if (r.tightened > 0) done.push(`${r.tightened} entr${r.tightened > 1 ? 'ies were' : 'y was'} readable by others, now owner-only (directories 0700, files 0600): it holds captured packets`);
    if (r.chowned > 0 && to) done.push(`gave ${r.chowned} entr${r.chowned > 1 ? 'ies' : 'y'} to user ${to.name}`);
    if (done.length > 0) logger.info(`state dir ${dir}: ${done.join('; ')}`);
    if (r.failedCount > 0) logger.warn(`state dir ${dir}: ${r.failedCount} entr${r.failedCount > 1 ? 'ies' : 'y'} could not be made private (${r.failed.join(', ')}); fix them by hand (chmod go= …)`);
  }

  /**
   * Fleet mode: a worker thread forwards from the SQLite file to PostgreSQL. It is started after
   * the sink, so the file is migrated and this run's row exists; whatever PostgreSQL does, it
   * never stops capture or scoring (its failures are log lines and /metrics series).
   */
  private startForwarding(): void {
    const pg = this.cfg.outputs.postgres;
    if (!pg || this.cfg.outputs.sqlite === false) return;
    const target = { url: pg.url, passwordFile: pg.passwordFile, sensor: pg.sensor, where: 'outputs.postgres' };
    this.forward = new ForwardThread({
      db: this.cfg.outputs.sqlite, target, batchRows: pg.batchRows, retryMaxMs: pg.retryMaxSeconds * 1000,
      observer: new ForwardMetrics(this.metrics.registry),
    });
  }

  private makeStage(): AlertStage {
    const learner = this.learner;
    const provisional = learner?.provisional ?? false;
    // learning.provisionalAlerts: false → while learning, alerts are counted but not written.
    const quiet = provisional && !this.cfg.learning.provisionalAlerts;
    // The stage writes through these two calls only.
    const sink = quiet ? ({ writeAnomalies: () => {}, upsertIncidents: () => {} } as unknown as FanoutSink) : this.sink!;
    return new AlertStage({
      sink, tracker: this.tracker!, run: this.run!, threshold: this.threshold, scaler: this.model!.scaler, provisional,
      onAnomaly: (row) => {
        this.metrics.anomalies.inc();
        learner?.noteAnomaly(row.ts, row.provisional === true);
      },
      onIncidents: learner ? (rows) => learner.noteIncidents(rows, provisional) : undefined,
      onScored: learner && provisional ? (packets, flagged) => learner.noteScored(packets, flagged) : undefined,
    });
  }

  /** The learner's own model when it has one, else model.dir / the shipped model; an own model that fails to load falls back. */
  private async openEffectiveModel(cfg: DaemonConfig): Promise<OpenedModel> {
    const own = this.learner?.modelDir();
    if (own) {
      try {
        return await openModel(cfg, own);
      } catch (e) {
        logger.error(`own model ${own} does not load, scoring with the ${cfg.model.dir ? 'configured' : 'shipped'} model: ${(e as Error).message}`);
      }
    }
    return openModel(cfg);
  }

  private inUse() {
    const m = this.model!;
    return { dir: m.dir, id: m.id, threshold: this.threshold, window: m.window, stride: this.cfg.window.stride ?? m.stride };
  }

  /** The learner swaps a model in (a new own model, a rollback, a reset) by the same path as SIGHUP. */
  private adopt(dir: string | undefined, why: string): Promise<void> {
    const work = this.reloads.then(async () => {
      const next = dir ? await openModel(this.cfg, dir) : await openModel(this.cfg);
      try {
        checkModelFits(this.cfg, next, this.model!.window);
      } catch (e) {
        await next.scorer.dispose();
        throw e;
      }
      await this.swapModel(next, this.cfg);
      logger.info(`model swapped (${why}): model ${next.id}, threshold ${this.threshold.toFixed(4)}`);
    });
    this.reloads = work.catch(() => undefined);
    return work;
  }

  /** Batches in flight finish on the old model; every window dispatched from here uses the new one. */
  private async swapModel(model: OpenedModel, cfg: DaemonConfig): Promise<void> {
    const old = this.model!;
    await this.inLane(() => {
      this.cfg = { ...this.cfg, model: cfg.model, alerts: cfg.alerts, logging: cfg.logging, learning: cfg.learning };
      this.model = model;
      this.pipeline!.setScorer(this.timed(model.scorer), model.scaler, this.threshold);
      this.stage = this.makeStage();
    });
    await this.pipeline!.idle();
    if (!this.leases.has(old)) await old.scorer.dispose(); // else the spool file scored with it disposes it when done
    const run = this.run!;
    Object.assign(run, { modelId: model.id, modelSha256: model.sha256, threshold: this.threshold });
    this.sink!.updateRun?.(run);
    this.metrics.setModel(model.id, model.backend);
    this.metrics.threshold.set(this.threshold);
  }

  private onFinal(final: FinalPackets): void {
    const run = this.run!;
    const before = run.incidents;
    for (let i = 0; i < final.length; i++) if (final.score(i) >= 0) this.scoredPackets++; // -1: its windows were dropped
    this.stage!.handle(final);
    if (run.incidents > before) this.metrics.incidents.inc(run.incidents - before);
    this.checkOutputs();
  }

  /** A failed output is set aside by the sink (isolate): stop, as replay does, instead of going on without it. */
  private checkOutputs(): void {
    const e = this.sink?.failure;
    if (!e || this.failure) return;
    this.failure = e;
    this.onOutputFailure();
  }

  /** Inference time per batch for lln_inference_seconds. */
  private timed(scorer: WindowScorer): WindowScorer {
    const hist = this.metrics.inferenceSeconds;
    return {
      window: scorer.window, features: scorer.features, dispose: () => scorer.dispose(),
      scoreRows: (rows, ends, n) => {
        // The label is the batch size rounded up to a power of two: a handful of series, not one per size.
        const end = hist.startTimer({ batch: String(2 ** Math.ceil(Math.log2(Math.max(1, n)))) });
        return scorer.scoreRows(rows, ends, n).finally(() => end());
      },
    };
  }

  /** Run `work` in the lane; a failure is logged and never poisons the lane for later work. */
  private inLane(work: () => Promise<void> | void): Promise<void> {
    this.lane = this.lane.then(work).catch((e: Error) => void logger.error(`scoring: ${e.message}`));
    return this.lane;
  }

  private enqueue(iface: string, packets: RawPacket[]): Promise<void> {
    this.learner?.write(packets); // the training spool gets every captured packet, in capture order
    this.backlog += packets.length;
    let pushed = 0;
    return this.inLane(async () => {
      try {
        for (const p of packets) p.frame = ++this.frame;
        this.metrics.packetsDecoded.inc({ interface: iface }, packets.length);
        // Slices with a turn of the event loop between them: while the pipeline runs, libpcap's
        // poll callback cannot, and the kernel ring (~14k slots) overflows within a quarter second
        // at 60k pps. Between slices cap moves what arrived into the intake queue (65k packets).
        for (let i = 0; i < packets.length; i += INTAKE_SLICE) {
          const slice = i === 0 && packets.length <= INTAKE_SLICE ? packets : packets.slice(i, i + INTAKE_SLICE);
          this.observeLoad(slice.length);
          await this.pipeline!.push(slice);
          pushed += slice.length;
          this.backlog -= slice.length;
          if (i + INTAKE_SLICE < packets.length) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } finally {
        this.backlog -= packets.length - pushed; // a failed push: what it did not take is no longer waiting
      }
    });
  }

  /**
   * Overload control: the backlog (packets captured and not yet in the pipeline, and the window
   * batches in flight) measured now sets the shed level (overload-shedder.ts), and the level how
   * many of the due windows the pipeline scores. `pushed`: packets about to go in (0 from the tick).
   */
  private observeLoad(pushed: number): void {
    const shedder = this.shedder, pipeline = this.pipeline;
    if (!shedder || !pipeline) return;
    let waiting = this.backlog;
    for (const i of this.intakes) waiting += i.queueDepth();
    const before = shedder.level;
    shedder.observe({ packets: waiting, inFlight: pipeline.inFlightBatches, maxInFlight: pipeline.maxInFlight }, pushed);
    if (shedder.level !== before) pipeline.setShedFactor(shedder.factor);
  }

  private startSpool(spool: NonNullable<DaemonConfig['spool']>): void {
    this.spool = new SpoolWatcher({ dir: spool.dir, processedDir: spool.processedDir, settleSeconds: spool.settleSeconds, stateFile: path.join(this.cfg.stateDir, 'spool-state.json') });
    this.spool.start(async (file) => {
      logger.info(`spool: scoring ${file}`);
      const { model, window, outputs: o, alerts } = this.cfg;
      const scoring = await this.spoolModel();
      // A SIGTERM while the file's model was loading: runReplay's own signal listener was not there
      // to hear it, and the whole file would be scored before the daemon stops (fuzz-daemon: most
      // term-spool runs; past TimeoutStopSec on a large file). It is scored at the next start.
      if (this.stopping) {
        await scoring.done();
        return 'interrupted';
      }
      try {
        // A run of its own (mode 'replay'): a file's frames are its own, as in Wireshark.
        // Scored by the model the daemon runs, on a worker thread, so live capture keeps being served meanwhile.
        const s = await runReplay([file], {
          opened: scoring.model, threshold: model.threshold, stride: window.stride, db: o.sqlite, csv: o.csv?.path ?? false,
          jsonl: o.jsonl ? (o.jsonl.path === 'stdout' ? '-' : o.jsonl.path) : undefined, worker: true, quiet: true, backend: 'auto',
          stopped: () => this.stopping, // a stop that began after the signal passed runReplay by
          alerts: { maxRowsPerIncident: alerts.maxRowsPerIncident, maxRowsPerSourcePerMinute: alerts.maxRowsPerSourcePerMinute, gapSeconds: alerts.incidentGapSeconds },
          // The daemon's counters cover everything it scores, live or from the spool folder.
          onScored: (packets, anomalies) => {
            this.metrics.packetsScored.inc({ interface: 'spool' }, packets);
            this.metrics.anomalies.inc(anomalies);
            this.spoolTotals.packets += packets;
            this.spoolTotals.anomalies += anomalies;
          },
        });
        this.metrics.incidents.inc(s.run.incidents);
        this.spoolTotals.incidents += s.run.incidents;
        if (s.run.status === 'interrupted') return 'interrupted';
        this.metrics.spoolFiles.inc({ result: 'ok' });
        this.spoolTotals.files++;
        logger.info(`spool: ${file}: run ${s.run.id}, ${s.run.packets} packets, ${s.run.anomalies} anomalies`);
        return 'done';
      } catch (e) {
        if (isLlnError(e) && (e.code === 'LLN_E_DB' || e.code === 'LLN_E_OUTPUT')) {
          // Our output failed, not the file: stop the daemon; the file is scored again after the restart.
          this.failure ??= e;
          this.onOutputFailure();
          return 'interrupted';
        }
        this.metrics.spoolFiles.inc({ result: 'error' });
        throw e;
      } finally {
        await scoring.done();
      }
    });
  }

  /**
   * The model a spool file is scored with: the one the daemon runs (own, configured or shipped),
   * never whatever its directory holds now. A worker of its own loads it from the running model's
   * directory, so the file's inference runs beside live capture's; when those files no longer load
   * or are not the ones the daemon loaded (changed on disk: a SIGHUP refused them, or none came
   * yet), the file is scored on the running model's own worker, which it then keeps until the file
   * is done even if a reload swaps another model in.
   */
  private async spoolModel(): Promise<{ model: OpenedModel; done: () => Promise<void> }> {
    const inUse = this.model!;
    let problem = '';
    try {
      const own = await openScorer({ modelDir: inUse.dir, backend: 'auto', worker: true, batch: autoBatch(this.cfg.window.stride ?? inUse.stride) });
      if (own.sha256 === inUse.sha256) {
        this.spoolModelProblem = '';
        return { model: own, done: async () => { await own.scorer.dispose(); } };
      }
      await own.scorer.dispose();
      problem = `holds another model (${own.id}) than the running one, which a reload did not take`;
    } catch (e) {
      problem = `no longer loads (${(e as Error).message})`;
    }
    if (problem !== this.spoolModelProblem) {
      logger.warn(`spool: the model directory ${inUse.dir} ${problem}; spool files are scored with the running model ${inUse.id}`);
      this.spoolModelProblem = problem;
    }
    this.leases.set(inUse, (this.leases.get(inUse) ?? 0) + 1);
    return {
      model: inUse,
      done: async () => {
        const n = (this.leases.get(inUse) ?? 1) - 1;
        if (n > 0) return void this.leases.set(inUse, n);
        this.leases.delete(inUse);
        if (inUse !== this.model) await inUse.scorer.dispose(); // swapped out meanwhile
      },
    };
  }

  private onTick(): void {
    this.lastTickAt = Date.now();
    this.observeLoad(0); // the level also comes down, and the episode ends, while no packets come
    void this.inLane(async () => {
      await this.pipeline!.flushBatch();
      this.pipeline!.handOnIdle();
    });
    for (const i of this.intakes) {
      this.metrics.queueDepth.set({ queue: `capture:${i.name}` }, i.queueDepth());
      const k = readInterfaceCounters(i.name);
      if (k) {
        this.metrics.kernelDrops.set({ interface: i.name }, k.rxDropped);
        this.metrics.kernelRxPackets.set({ interface: i.name }, k.rxPackets);
        this.metrics.kernelErrors.set({ interface: i.name }, k.rxErrors);
      }
    }
    this.metrics.queueDepth.set({ queue: 'pending_packets' }, this.pipeline!.pendingPackets);
    this.syncCounts();
    this.syncCaptureLoss();
    this.sink!.updateRun?.(this.run!);
    this.checkOutputs();
    if (++this.ticks % 5 === 0) this.forward?.refresh();
    this.learner?.tick();
  }

  /** Counters kept by the pipeline, tracker and decoder → Prometheus (which only counts up by deltas). */
  private syncCounts(): void {
    const p = this.pipeline!, run = this.run!, m = this.metrics, s = this.synced;
    m.windowsScored.inc(p.windowsScored - s.windows);
    m.windowsDropped.inc(p.windowsDropped - s.dropped);
    m.packetsScored.inc({ interface: 'all' }, this.scoredPackets - s.scored);
    m.suppressedRows.inc({ reason: 'rate_limit' }, run.suppressed - s.suppressed);
    const shedSeconds = this.shedder?.shedSeconds ?? 0;
    m.windowsShed.inc(p.windowsShed - s.windowsShed);
    m.packetsShed.inc(p.packetsFilled - s.packetsShed);
    m.shedSeconds.inc(Math.max(0, shedSeconds - s.shedSeconds));
    Object.assign(s, { windowsShed: p.windowsShed, packetsShed: p.packetsFilled, shedSeconds });
    Object.assign(run, { windowsShed: p.windowsShed, packetsShed: p.packetsFilled, shedSeconds: Math.round(shedSeconds * 1000) / 1000, shedMaxLevel: this.shedder?.maxLevelSeen ?? 0 });
    for (const [reason, n] of Object.entries(this.counters.byReason())) {
      m.decodeErrors.inc({ reason }, n - (s.decodeErrors.get(reason) ?? 0));
      s.decodeErrors.set(reason, n);
    }
    Object.assign(s, { windows: p.windowsScored, dropped: p.windowsDropped, scored: this.scoredPackets, suppressed: run.suppressed });
    run.windows = p.windowsScored;
  }

  /** libpcap's and the intake's loss counters → /metrics, the warning log and the run row. */
  private syncCaptureLoss(): void {
    if (this.intakes.length > 0 && this.run) Object.assign(this.run, this.loss.poll(this.intakes));
  }

  /** SIGHUP: re-read the config and swap the model; on any problem keep running as before. Reloads never overlap. */
  private reload(): void {
    this.reloads = this.reloads.then(() => this.reloadNow());
  }

  private async reloadNow(): Promise<void> {
    if (!this.ready) return;
    sdNotify('RELOADING=1');
    let next: OpenedModel | null = null;
    try {
      const cfg = loadConfig(this.configPath);
      this.learner?.setConfig(cfg);
      next = await (this.learner ? this.openEffectiveModel(cfg) : openModel(cfg));
      checkModelFits(cfg, next, this.model!.window);
      const ifs = (c: DaemonConfig) => JSON.stringify(c.interfaces) + JSON.stringify(c.spool ?? null) + JSON.stringify(c.window) + JSON.stringify(c.overload) + JSON.stringify(c.outputs) + JSON.stringify(c.metrics) + JSON.stringify(c.user ?? null);
      if (ifs(cfg) !== ifs(this.cfg)) logger.warn('reload: changes to interfaces, spool, window, overload, outputs, metrics or user take effect after a restart');
      const model = next;
      next = null;
      await this.swapModel(model, cfg);
      configureLogger(this.cfg.logging);
      logger.info(`reloaded: model ${model.id}, threshold ${this.threshold.toFixed(4)}`);
    } catch (e) {
      await next?.scorer.dispose();
      logger.error(`reload failed, still running on model ${this.model!.id}: ${(e as Error).message}`);
    }
    sdNotify('READY=1');
  }

  private reopen(): void {
    this.sink?.reopen();
    configureLogger(this.cfg.logging);
    logger.info('reopened output and log files');
  }

  /** Stop intake, score and commit everything captured, close. Also cleans up after a failed start. */
  async stop(status: 'finished' | 'failed' = 'finished'): Promise<void> {
    this.ready = false;
    this.stopping = true;
    sdNotify('STOPPING=1');
    process.off('SIGHUP', this.onHup);
    process.off('SIGUSR1', this.onUsr1);
    await this.reloads;
    if (this.tick) clearInterval(this.tick);
    this.watchdog?.stop();
    for (const i of this.intakes) i.stop();
    await this.spool?.stop();
    await Promise.all(this.loops); // each loop hands on its last captured batch before it ends
    await this.learner?.stop({ status: this.model !== null }).catch((e: Error) => logger.error(`learning: stopping: ${e.message}`));
    this.syncCaptureLoss(); // every capture is closed: libpcap's final counters, as read at close
    await this.lane;
    const run = this.run;
    if (run && this.pipeline && this.sink) {
      try {
        await this.pipeline.finish();
        this.stage!.finish();
        this.syncCounts();
      } catch (e) {
        status = 'failed';
        logger.error(`scoring the last packets failed: ${(e as Error).message}`);
      }
      this.checkOutputs();
      run.status = this.failure ? 'failed' : status;
      run.finishedAt = new Date().toISOString();
      this.sink.finishRun(run); // a failed SQLite sink still records the end, with the rows it committed
    }
    try {
      this.sink?.close();
    } catch (e) {
      this.failure ??= e; // a last flush that did not fit: reported, and the rest still shuts down
    }
    if (this.forward) {
      // After the run's last update: its final row is forwarded too, unless PostgreSQL is away.
      const f = await this.forward.stop((this.cfg.outputs.postgres?.drainSeconds ?? 0) * 1000);
      logger.info(`forward stopped: forwarded ${f.forwarded} rows (anomalies ${f.anomaliesSent}, new to PostgreSQL ${f.inserted}), pending ${f.pending}${f.error ? ` (${f.reason}: still failing)` : ''}`);
    }
    await this.model?.scorer.dispose();
    await this.server?.close();
    const captured = this.intakes.reduce((n, i) => n + i.captured, 0);
    // The line tests and operators check: every captured packet was committed (captured == packets).
    if (run) {
      logger.info(stopSummary({
        captured, run, scored: this.scoredPackets, droppedWindows: this.pipeline?.windowsDropped ?? 0, live: this.intakes.length > 0, spool: this.cfg.spool ? this.spoolTotals : null,
        shed: this.pipeline && this.shedder ? { windows: this.pipeline.windowsShed, packets: this.pipeline.packetsFilled, maxStride: this.shedder.maxStride } : null,
        committed: isLlnError(this.failure) && this.failure.code === 'LLN_E_DB' ? committedRows(this.cfg.outputs.sqlite, run.id) : null,
      }));
    }
  }
}
