import { statSync } from 'node:fs';
import { checkCaptureFile, openCaptureFiles } from '../capture/file-source';
import { primeSource } from '../capture/primed-source';
import { DecodeCounters } from '../capture/decode';
import { FEATURE_COUNT } from '../features/schema';
import type { BackendPreference } from '../model/backend';
import type { ModelParams } from '../model/model-peek';
import type { PacketSource } from '../capture/raw-packet';
import { CsvSink } from '../outputs/csv-sink';
import { FanoutSink } from '../outputs/fanout-sink';
import { IncidentTracker, type IncidentTrackerOptions } from '../outputs/incident-tracker';
import { JsonlSink } from '../outputs/jsonl-sink';
import { checkWritable } from '../outputs/output-check';
import type { AnomalySink, RunRecord } from '../outputs/records';
import { writeScorePlot } from '../outputs/score-plot';
import { ScoresCsvWriter } from '../outputs/scores-csv';
import { SqliteSink } from '../outputs/sqlite-sink';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { AlertStage } from './alert-stage';
import { DEFAULT_STRIDE, type OpenedModel } from './open-scorer';
import { REPLAY_BATCH, startReplayModel, type ReplayModelStart } from './replay-start';
import { ReplayProgress } from './replay-progress';
import type { ReplaySummary } from './replay-summary';
import { ScoreTrace } from './score-trace';
import { ScoringPipeline } from './scoring-pipeline';
import { reportSourceProblems } from './source-report';
import { TopIncidents } from './top-incidents';

/**
 * Windows per scoring batch when --batch is not given, and batches in flight. Every packet of a
 * batch waits (with its capture bytes, and its scaled row if a window flagged it) until the batch
 * is scored, so memory follows batch × stride × in flight. Up to stride 16 the largest batch
 * paid while the inference worker was the limit (1024 windows against 512: 9 % more packets/s);
 * since the worker's copies were cut (inference-graph.ts) the main thread is, and 512 windows
 * with 4 in flight (the same 32k packets read ahead, handed over in smaller steps) measured
 * wall ×0.85 and peak RSS 254 against 280 MiB paired against 1024 with 2 (IoT capture ×10, 5
 * pairs). Above stride 16, 8192 packets' worth keeps memory down (512 windows at stride 32 were
 * 3 % slower than 256).
 */
const PACKETS_PER_BATCH = 8192;
const MAX_AUTO_BATCH = 1024;
/** Replay's batches in flight, with REPLAY_BATCH (replay-start.ts) up to stride 16 (see above; the daemon's live capture keeps autoBatch). */
const IN_FLIGHT = 4;
/**
 * Batches in flight while the model is still loading (the pipeline starts before it, see
 * replayWithModel): the CLI starts the worker first, yet loading tfjs and the model and the
 * first batch's slow run still took it ~0.5 s more than this thread needed to fill 4 batches,
 * which then waited idle. 8 (64k packets read ahead) keep it working; then back to IN_FLIGHT,
 * one batch at a time, to keep memory down.
 */
const IN_FLIGHT_WHILE_LOADING = 8;
const INFERENCE_BOUND_STRIDE = 16;

export function autoBatch(stride: number): number {
  if (stride <= INFERENCE_BOUND_STRIDE) return MAX_AUTO_BATCH;
  return Math.max(64, Math.round(PACKETS_PER_BATCH / stride));
}

function replayBatch(stride: number): number {
  return stride <= INFERENCE_BOUND_STRIDE ? REPLAY_BATCH : autoBatch(stride);
}

export interface ReplayOptions {
  model?: string;
  /**
   * Score with this model, already open (the daemon's, shared with its live capture) instead of
   * loading `model`: replay neither loads nor disposes it.
   */
  opened?: OpenedModel;
  /** The model, already loading (startReplayModel, called by the CLI first): replay closes it on every path. */
  started?: ReplayModelStart;
  threshold?: number;
  stride?: number;
  /** Output paths; false/undefined = off. */
  db?: string | false;
  csv?: string | false;
  jsonl?: string;
  scoresCsv?: string;
  plot?: string;
  /** Windows per scoring call; default autoBatch(stride). */
  batch?: number;
  worker: boolean;
  quiet?: boolean;
  backend: BackendPreference;
  alerts?: IncidentTrackerOptions;
  /** Per scored batch: packets given a score, anomaly rows written (the daemon's metrics for spool files). */
  onScored?: (packets: number, anomalies: number) => void;
  /** Asked after each batch (the daemon's stop): true stops reading as a signal does (status `interrupted`). */
  stopped?: () => boolean;
}

/**
 * `lln-detect replay`: capture files through the one pipeline into every configured output.
 * SIGINT/SIGTERM stop reading; what was read is still scored and committed, and the run is
 * marked `interrupted`. An output that fails (full disk, closed pipe) stops reading the same way:
 * what was read is scored into the outputs that still work, the run is marked `failed` with its
 * counts, and the output's error is thrown.
 */
export async function runReplay(files: string[], o: ReplayOptions): Promise<ReplaySummary> {
  let started = o.started ?? null;
  try {
    // Fail before any work: inputs readable, outputs writable.
    for (const f of files) await checkCaptureFile(f);
    const outputs: Array<[string | false | undefined, string]> = [[o.db, '--db'], [o.csv, '--csv'], [o.jsonl, '--jsonl'], [o.scoresCsv, '--scores-csv'], [o.plot, '--plot']];
    for (const [p, flag] of outputs) if (p) checkWritable(p, flag);
    if (o.stride !== undefined && o.stride < 1) throw new LlnError('LLN_E_USAGE', '--stride must be at least 1');

    if (o.opened) return await replayWithModel(files, o, Promise.resolve(o.opened), null);
    // While the worker loads tfjs and the model (~0.3-0.5 s), this thread already reads, decodes
    // and extracts on the directory's own parameters; without them it waits for the worker.
    started ??= startReplayModel(files, o);
    return await replayWithModel(files, o, started.opening, started.early);
  } finally {
    // On every path (a failed check too): a live worker thread would keep the process from ever exiting.
    await started?.close();
  }
}

/** The outputs of one run, opened once the model is known (its id and threshold go in the run). */
interface Outputs {
  sink: FanoutSink;
  scoresCsv: ScoresCsvWriter | undefined;
  run: RunRecord;
  stage: AlertStage;
  top: TopIncidents;
  plotted: TopIncidents | undefined;
  trace: ScoreTrace | undefined;
  threshold: number;
}

function openOutputs(files: string[], o: ReplayOptions, model: OpenedModel): Outputs {
  const threshold = o.threshold ?? model.threshold;
  const sinks: AnomalySink[] = [];
  let scoresCsv: ScoresCsvWriter | undefined;
  try {
    if (o.db) sinks.push(new SqliteSink(o.db));
    if (o.csv) sinks.push(new CsvSink(o.csv));
    if (o.jsonl) sinks.push(new JsonlSink(o.jsonl));
    scoresCsv = o.scoresCsv ? new ScoresCsvWriter(o.scoresCsv) : undefined;
  } catch (e) {
    for (const s of sinks) s.close();
    throw e;
  }
  const sink = new FanoutSink(sinks, { onFailure: 'isolate' });
  const top = new TopIncidents();
  // The plot marks each incident on its own: the 40 highest scoring (more marks would not fit its width).
  const plotted = o.plot ? new TopIncidents(40) : undefined;
  const run: RunRecord = {
    id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'replay', sources: files,
    modelId: model.id, modelSha256: model.sha256, threshold, packets: 0, windows: 0, anomalies: 0, incidents: 0, suppressed: 0, status: 'running',
  };
  sink.startRun(run);
  const trace = o.plot ? new ScoreTrace() : undefined;
  const stage = new AlertStage({ sink, tracker: new IncidentTracker(o.alerts), run, threshold, scaler: model.scaler, scoresCsv, trace, onIncidents: (rows) => {
    top.note(rows);
    plotted?.note(rows);
  } });
  return { sink, scoresCsv, run, stage, top, plotted, trace, threshold };
}

/** The worker's model must be the one the pipeline started on (the directory could change in between). */
function checkSameModel(early: ModelParams, model: OpenedModel): void {
  const same = early.window === model.window && early.features === model.features && early.threshold === model.threshold
    && (early.stride ?? DEFAULT_STRIDE) === model.stride && JSON.stringify(early.scaler.toJSON()) === JSON.stringify(model.scaler.toJSON());
  if (!same) throw new LlnError('LLN_E_MODEL', `${model.dir} changed while it was loading; run again`);
}

/**
 * `opening` resolves to the model; with `early` (its directory's parameters) the pipeline
 * starts before it does: batches wait for the model in the scorer below, and the outputs open
 * at the first final packet, so a model that fails to load still leaves nothing behind.
 */
async function replayWithModel(files: string[], o: ReplayOptions, opening: Promise<OpenedModel>, early: ModelParams | null): Promise<ReplaySummary> {
  let model: OpenedModel | null = early ? null : await opening;
  const params = early ?? model!;
  // An error found before the model has loaded yields to the model's own: as when it loaded first.
  const modelFirst = async (e: unknown): Promise<never> => {
    if (early) await opening;
    throw e;
  };
  const stride = o.stride ?? params.stride ?? DEFAULT_STRIDE;
  if (stride > params.window) {
    await modelFirst(new LlnError('LLN_E_USAGE', `--stride ${stride} is larger than the model's window (${params.window}): some packets would never be scored; use at most ${params.window}`));
  }
  if (params.features !== FEATURE_COUNT) await modelFirst(new LlnError('LLN_E_SCHEMA_MISMATCH', `model expects ${params.features} features, this program computes ${FEATURE_COUNT}`));
  const threshold = o.threshold ?? params.threshold;
  // Outputs are created only once the input is known to be a capture: a file that is not one
  // leaves nothing behind, as a missing file does.
  let source: PacketSource;
  try {
    source = await primeSource(openCaptureFiles(files));
  } catch (e) {
    return modelFirst(e);
  }
  let out = null as Outputs | null; // set by outputs(), in closures: TypeScript's narrowing cannot follow
  let openFailure: unknown = null;
  const outputs = (): Outputs => {
    if (out) return out;
    try {
      out = openOutputs(files, o, model!);
    } catch (e) {
      openFailure = e;
      source.close();
      throw e;
    }
    return out;
  };
  let scorer = model?.scorer;
  let ready: Promise<void> = Promise.resolve();
  if (!early) outputs();
  else {
    // The outputs open as soon as the worker has the model (the run row appears, as it did when
    // the model loaded first), after checking it is the one the pipeline started on.
    ready = opening.then((m) => {
      checkSameModel(early, m);
      model = m;
      outputs();
    });
    ready.catch(() => undefined); // surfaces through the scores below
    scorer = {
      window: early.window, features: early.features, dispose: () => undefined,
      scoreRows: (rows, ends, n) => {
        const scored = ready.then(() => model!.scorer.scoreRows(rows, ends, n));
        scored.catch(() => undefined); // awaited by the pipeline, maybe only after it settles
        return scored;
      },
    };
  }
  const outputFailure = (): unknown => out?.sink.failure ?? out?.scoresCsv?.failure ?? null;
  const counters = new DecodeCounters();
  const pipeline = new ScoringPipeline({
    scaler: params.scaler, scorer: scorer!, window: params.window, stride, features: FEATURE_COUNT,
    batchWindows: o.batch ?? replayBatch(stride), maxInFlight: early ? IN_FLIGHT_WHILE_LOADING : IN_FLIGHT, counters, keepRowsAtOrAbove: threshold, alertThreshold: threshold, onFinal: (final) => {
      const { run, stage } = outputs();
      const anomaliesBefore = run.anomalies;
      stage.handle(final);
      if (o.onScored) {
        let scored = 0;
        for (let i = 0; i < final.length; i++) if (final.score(i) >= 0) scored++; // -1: no window scored it
        o.onScored(scored, run.anomalies - anomaliesBefore);
      }
    },
  });
  // The model has loaded: back to IN_FLIGHT (its failure surfaces through the scores).
  if (early) ready.then(() => pipeline.setMaxInFlight(IN_FLIGHT), () => undefined);

  const totalBytes = files.reduce((sum, f) => sum + (f === '-' ? 0 : statSync(f).size), 0);
  const progress = o.quiet ? null : new ReplayProgress(totalBytes);
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    logger.warn(`${sig}: stopping; scoring and committing everything read so far`);
    source.close();
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  const started = process.hrtime.bigint();
  let failure: unknown = null;
  try {
    try {
      // An output that failed even at the start still lets the batch in hand through, so what
      // was read is scored into the outputs that work (as for a signal).
      for await (const batch of source) {
        await pipeline.push(batch);
        progress?.update(source.stats().bytes, pipeline.packets, out?.run.anomalies ?? 0);
        if (o.stopped?.()) interrupted = true;
        if (interrupted || outputFailure()) break;
      }
    } catch (e) {
      // A model that failed to load, or outputs that could not open: nothing is written.
      if (openFailure !== null || (await ready.then(() => false, () => true))) throw e;
      failure = e; // a bad record mid-file: keep (score, commit) every packet before it
    }
    await pipeline.finish();
    await ready; // no batch at all (an empty capture): the outputs open here
    outputs().stage.finish();
  } catch (e) {
    if (!out) {
      source.close();
      return await modelFirst(e);
    }
    failure ??= e;
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
    progress?.stop();
  }
  const { sink, scoresCsv, run, top, plotted, trace } = out!;
  // The scores' last rows are still buffered: write them now, so the run's status knows.
  try {
    scoresCsv?.flush();
  } catch {
    /* recorded in scoresCsv.failure */
  }
  failure ??= outputFailure();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  run.windows = pipeline.windowsScored;
  run.finishedAt = new Date().toISOString();
  run.status = failure ? 'failed' : interrupted ? 'interrupted' : 'finished';
  sink.finishRun(run);
  failure ??= sink.failure;
  failure ??= closeAll(sink, scoresCsv);
  if (o.plot && trace) {
    try {
      writeScorePlot(o.plot, trace.result(), threshold, plotted?.top() ?? [], { title: `lln-detect replay: ${files.join(', ')}`, totalIncidents: run.incidents });
    } catch (e) {
      failure ??= e;
    }
  }
  reportSourceProblems(source, counters);
  if (pipeline.packets > 0 && pipeline.packets < params.window) {
    // Context statistics and the BiLSTM have little to go on; the threshold was calibrated on full windows.
    logger.warn(`only ${pipeline.packets} packets, fewer than the model's window of ${params.window}: their scores are less reliable than a longer capture's`);
  }
  if (failure) throw failure;
  return { run, seconds, packetsPerSecond: run.packets / Math.max(seconds, 1e-9), topIncidents: top.top(), decodeErrors: counters.byReason() };
}

/** Close every output; the first failure (a last flush that did not fit) is returned, not thrown. */
function closeAll(sink: FanoutSink, scoresCsv: ScoresCsvWriter | undefined): unknown {
  let failure: unknown = null;
  for (const close of [() => sink.close(), () => scoresCsv?.close()]) {
    try {
      close();
    } catch (e) {
      failure ??= e;
    }
  }
  return failure;
}
