import path from 'node:path';
import { DecodeCounters } from '../capture/decode';
import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { readInterfaceCounters } from '../capture/interface-counters';
import { FEATURE_COUNT } from '../features/schema';
import { IncidentTracker } from '../outputs/incident-tracker';
import type { RunRecord } from '../outputs/records';
import { AlertStage } from '../pipeline/alert-stage';
import { openScorer, type OpenedModel } from '../pipeline/open-scorer';
import { runReplay } from '../pipeline/run-replay';
import { ScoringPipeline } from '../pipeline/scoring-pipeline';
import { LlnError } from '../errors';
import { configureLogger, logger } from '../logger';
import { loadConfig } from './config-load';
import type { DaemonConfig } from './config-schema';
import { openDaemonSinks } from './daemon-outputs';
import { LiveIntake } from './live-intake';
import { DaemonMetrics, startMetricsServer, type MetricsServer } from './metrics';
import { sdNotify, startWatchdog } from './sd-notify';
import { SpoolWatcher } from './spool-watcher';

/** Live windows wait at most this long for a full batch before they are scored. */
const FLUSH_MS = 1000;

/**
 * `lln-detect daemon`: every configured interface feeds ONE pipeline (one frame numbering,
 * one incident view across interfaces); inference runs in a worker thread; when it falls
 * behind, whole windows are dropped and counted instead of stalling capture.
 */
export async function runDaemon(configPath: string): Promise<void> {
  let cfg = loadConfig(configPath);
  configureLogger(cfg.logging);
  const metrics = new DaemonMetrics();
  let model = await openModel(cfg);
  metrics.setModel(model.id, model.backend);
  const threshold = () => cfg.model.threshold ?? model.threshold;
  metrics.threshold.set(threshold());
  const sink = openDaemonSinks(cfg);
  const run: RunRecord = {
    id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'daemon', sources: cfg.interfaces.map((i) => i.name),
    modelId: model.id, modelSha256: model.sha256, threshold: threshold(), packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
  };
  sink.startRun(run);
  const tracker = new IncidentTracker({
    maxRowsPerIncident: cfg.alerts.maxRowsPerIncident, maxRowsPerSourcePerMinute: cfg.alerts.maxRowsPerSourcePerMinute, gapSeconds: cfg.alerts.incidentGapSeconds,
  });
  let stage = makeStage();
  function makeStage(): AlertStage {
    return new AlertStage({ sink, tracker, run, threshold: threshold(), scaler: model.scaler, onAnomaly: () => metrics.anomalies.inc() });
  }
  const pipeline = new ScoringPipeline({
    scaler: model.scaler, scorer: model.scorer, window: model.window, stride: cfg.window.stride ?? model.stride, features: FEATURE_COUNT,
    batchWindows: 256, maxInFlight: 4, whenBusy: 'drop',
    onFinal: (final) => {
      const before = run.incidents;
      stage.handle(final);
      if (run.incidents > before) metrics.incidents.inc(run.incidents - before);
    },
  });

  // One lane into the pipeline: batches from every interface are renumbered in the order the
  // pipeline sees them, so frame numbers are unique and increasing across interfaces.
  let frame = 0;
  let lane: Promise<void> = Promise.resolve();
  const enqueue = (iface: string, packets: DecodedPacket[]): Promise<void> => {
    lane = lane.then(async () => {
      for (const p of packets) p.frame = ++frame;
      metrics.packetsDecoded.inc({ interface: iface }, packets.length);
      await pipeline.push(packets);
    });
    return lane;
  };

  const counters = new DecodeCounters();
  const intakes = cfg.interfaces.map((ifc, i) => new LiveIntake(ifc, i, counters, metrics));
  const loops: Promise<void>[] = [];
  const firstOpens = intakes.map((intake) => new Promise<unknown>((resolve) => {
    loops.push(intake.run({ onPackets: enqueue, onFirstOpen: (_n, err) => resolve(err) }).catch((e) => {
      logger.error(`capture loop on ${intake.name} failed: ${e}`);
    }));
  }));
  const openErrors = (await Promise.all(firstOpens)).filter((e) => e !== undefined);
  if (intakes.length > 0 && openErrors.length === intakes.length && !cfg.spool) {
    for (const i of intakes) i.stop();
    throw openErrors[0] instanceof LlnError ? openErrors[0] : new LlnError('LLN_E_CAPTURE', `no interface could be opened: ${String(openErrors[0])}`);
  }

  const spool = cfg.spool
    ? new SpoolWatcher({ dir: cfg.spool.dir, processedDir: cfg.spool.processedDir, settleSeconds: cfg.spool.settleSeconds, stateFile: path.join(cfg.stateDir, 'spool-state.json') })
    : null;
  spool?.start(async (file) => {
    logger.info(`spool: processing ${file}`);
    const o = cfg.outputs;
    await runReplay([file], {
      model: cfg.model.dir, threshold: cfg.model.threshold, stride: cfg.window.stride, db: o.sqlite, csv: o.csv?.path ?? false,
      jsonl: o.jsonl ? (o.jsonl.path === 'stdout' ? '-' : o.jsonl.path) : undefined, batch: 512, worker: false, quiet: true, backend: 'auto',
    });
    metrics.spoolFiles.inc({ result: 'ok' });
  });

  let server: MetricsServer | null = null;
  if (cfg.metrics.enabled) {
    server = await startMetricsServer(cfg.metrics.listen, metrics);
    logger.info(`metrics on http://${cfg.metrics.listen}/metrics`);
  }

  const tick = setInterval(() => {
    lane = lane.then(() => pipeline.flushBatch()).catch((e) => {
      logger.error(`scoring: ${e}`);
    });
    for (const i of intakes) {
      metrics.queueDepth.set({ queue: `capture:${i.name}` }, i.queueDepth());
      const k = readInterfaceCounters(i.name);
      if (k) {
        metrics.kernelDrops.set({ interface: i.name }, k.rxDropped);
        metrics.kernelRxPackets.set({ interface: i.name }, k.rxPackets);
        metrics.kernelErrors.set({ interface: i.name }, k.rxErrors);
      }
    }
    metrics.queueDepth.set({ queue: 'pending_packets' }, pipeline.pendingPackets);
    syncCounts();
    sink.updateRun?.(run);
  }, FLUSH_MS);
  let lastWindows = 0, lastDropped = 0, lastScored = 0;
  function syncCounts(): void {
    metrics.windowsScored.inc(pipeline.windowsScored - lastWindows);
    metrics.windowsDropped.inc(pipeline.windowsDropped - lastDropped);
    metrics.packetsScored.inc({ interface: 'all' }, run.packets - lastScored);
    lastWindows = pipeline.windowsScored;
    lastDropped = pipeline.windowsDropped;
    lastScored = run.packets;
    run.windows = pipeline.windowsScored;
  }

  const watchdog = startWatchdog();
  sdNotify(`READY=1\nSTATUS=capturing on ${cfg.interfaces.map((i) => i.name).join(', ') || '(spool only)'}`);
  logger.info(`daemon ready: run ${run.id}, interfaces ${run.sources.join(', ') || 'none'}${cfg.spool ? `, spool ${cfg.spool.dir}` : ''}`);

  const reload = async () => {
    sdNotify('RELOADING=1');
    try {
      const next = loadConfig(configPath);
      const nextModel = await openModel(next);
      const old = model;
      cfg = { ...cfg, model: next.model, alerts: next.alerts, logging: next.logging };
      configureLogger(cfg.logging);
      model = nextModel;
      lane = lane.then(() => {
        pipeline.setScorer(model.scorer, model.scaler);
        stage = makeStage();
      });
      await lane;
      await pipeline.idle();
      await old.scorer.dispose();
      run.modelId = model.id;
      run.modelSha256 = model.sha256;
      run.threshold = threshold();
      sink.updateRun?.(run);
      metrics.setModel(model.id, model.backend);
      metrics.threshold.set(threshold());
      logger.info(`reloaded: model ${model.id}, threshold ${threshold().toFixed(4)} (interface changes need a restart)`);
    } catch (e) {
      logger.error(`reload failed, still running on model ${model.id}: ${(e as Error).message}`);
    }
    sdNotify('READY=1');
  };

  await new Promise<void>((resolve) => {
    process.on('SIGHUP', () => void reload());
    process.on('SIGUSR1', () => {
      sink.reopen();
      configureLogger(cfg.logging);
      logger.info('reopened output and log files');
    });
    const stop = (sig: string) => {
      logger.info(`${sig}: stopping capture, draining queues`);
      sdNotify('STOPPING=1');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  // Shutdown: stop intake, score everything captured, commit, mark the run finished.
  clearInterval(tick);
  watchdog?.stop();
  for (const i of intakes) i.stop();
  await spool?.stop();
  await Promise.all(loops); // each loop hands on its last captured batch before it ends
  await lane;
  await pipeline.finish();
  stage.finish();
  syncCounts();
  run.status = 'finished';
  run.finishedAt = new Date().toISOString();
  sink.finishRun(run);
  sink.close();
  await model.scorer.dispose();
  await server?.close();
  logger.info(`daemon stopped: ${run.packets} packets, ${run.windows} windows, ${pipeline.windowsDropped} dropped, ${run.anomalies} anomalies`);
}

async function openModel(cfg: DaemonConfig): Promise<OpenedModel> {
  return openScorer({ modelDir: cfg.model.dir, backend: 'auto', worker: true, batch: 256 });
}
