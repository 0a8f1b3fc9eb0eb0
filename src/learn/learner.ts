import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawPacket } from '../capture/raw-packet';
import type { LearnerConfig } from './learning-schema';
import type { LearnerMetrics } from './learner-metrics';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { logger } from '../logger';
import { describeFsError } from '../outputs/output-check';
import type { IncidentRecord } from '../outputs/records';
import { DEFAULT_MODEL_DIR } from '../paths';
import { FLOW_HOLD } from '../pipeline/flow-hold';
import { TRAINING_DEFAULTS } from '../train/recipe';
import { formatDuration, parseDuration, parseSize } from './duration';
import { freshState, modelMisfits, readState, STATE_FILE, writeJsonAtomic, writeState, type LearnState } from './learn-state';
import { commitModel, findModel, incomingDir, pruneModels, removeIncoming, storeDir } from './model-store';
import { spoolMetrics } from './spool-metrics';
import { TrainingSpool } from './training-spool';
import type { Span, TrainingJob, TrainingOutcome } from './training-job';
import { REQUESTS, STATUS_FILE, INCIDENTS_FILE, type RequestName, type StatusSnapshot, type IncidentNote } from './status-files';

/** What the learner needs from the daemon: the model in use, and a way to swap one in (as SIGHUP does). */
export interface LearnerHost {
  inUse(): { dir: string; id: string; threshold: number; window: number; stride: number };
  /** Open, check and swap in this model directory; throws (and keeps the current one) on any problem. */
  adopt(dir: string | undefined, why: string): Promise<void>;
}

/** Models kept in the store besides the current and the previous one. */
const KEEP_MODELS = 5;
const STATUS_EVERY_MS = 2000;
/**
 * A packet's verdict (and its anomaly and incident rows) comes lookBackSeconds after it was captured
 * (flow-hold.ts): a training waits that long, plus this margin, after the spool is cut, so the
 * incidents of the packets it trains on are known and left out (issue 33).
 */
export const VERDICT_MARGIN_SECONDS = 5;

/** Learning is on when asked for, or on a fresh install (no model configured): docs/daemon.md, "Learning". */
export function learningEnabled(cfg: LearnerConfig): boolean {
  return cfg.learning.enabled === true || (cfg.learning.enabled === 'auto' && !cfg.model.dir);
}

/**
 * The sensor learning its own network: the lifecycle learning → detecting (learn-state.json), the
 * training spool, background trainings in a child process, the checks a new model must pass,
 * the versioned model store, rollback and reset. The daemon owns one and calls tick() every second.
 */
export class Learner {
  state: LearnState;
  readonly spool: TrainingSpool;
  private child: ChildProcess | null = null;
  private training: { since: number; reason: TrainingJob['reason']; done: Promise<void> } | null = null;
  /** A training due or requested, waiting for the verdicts of the spool files cut for it. */
  private waiting: { reason: TrainingJob['reason']; files: Set<string>; startAt: number } | null = null;
  /** How long a training waits for its packets' verdicts (tests shorten it). */
  verdictWaitSeconds = FLOW_HOLD.lookBackSeconds + VERDICT_MARGIN_SECONDS;
  private incidents = new Map<string, IncidentNote>();
  private incidentsDirty = false;
  private alertsByHour = new Map<number, number>();
  /** The provisional share of alertsByHour: status tells an operator which alerts the learning period wrote. */
  private provisionalByHour = new Map<number, number>();
  /** The state's scored/flagged counts as last saved: writeStatus saves them when they moved. */
  private savedScored = 0;
  /** Set before a training is killed on purpose (learn --reset): its end is a cancel, not a refusal. */
  private cancelledBy: string | null = null;
  private lastStatusAt = 0;
  private lastEvent = '';
  private stopping = false;
  private busy: Promise<void> = Promise.resolve();
  /** The last problem tick() logged: the same one every second is logged once. */
  private tickProblem = '';

  constructor(private cfg: LearnerConfig, private readonly host: LearnerHost, private readonly metrics: LearnerMetrics) {
    const dir = cfg.stateDir;
    makePrivateDir(dir);
    const saved = readState(dir);
    const left = removeIncoming(dir);
    if (left > 0) logger.info(`learning: removed ${left} unfinished model director${left > 1 ? 'ies' : 'y'} left by an interrupted training`);
    rmSync(path.join(dir, 'training-work'), { recursive: true, force: true });
    const l = cfg.learning.spool;
    this.spool = new TrainingSpool({ dir: path.join(dir, 'training-spool'), maxBytes: toBytes(l.maxBytes), maxAgeMs: parseDuration(l.maxAge)!, fileSeconds: l.fileSeconds, maxFileBytes: toBytes(l.maxFileBytes), observer: spoolMetrics(metrics.registry) });
    this.loadIncidents();
    if (!saved) {
      this.state = freshState();
      logger.info(`lifecycle: learning (fresh state in ${dir}; period ${cfg.learning.period}, at least ${cfg.learning.minPackets} packets; scoring with the ${cfg.model.dir ? 'configured' : 'shipped'} model meanwhile)`);
    } else {
      this.state = saved;
      logger.info(`lifecycle: ${saved.state}, resumed from ${path.join(dir, 'learn-state.json')}${saved.current ? ` (own model ${saved.current})` : ''}`);
    }
    this.checkCurrent();
    try {
      this.save();
    } catch (e) {
      // A full state dir (restarted after the disk filled) must not keep the sensor from detecting.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw e;
      logger.warn(`learning: cannot save ${path.join(dir, STATE_FILE)} (${describeFsError(e)}); the state is kept in memory and saved at its next change`);
    }
  }

  /** The own model to score with, or undefined for the configured / shipped one. */
  modelDir(): string | undefined {
    return this.state.current ? path.join(storeDir(this.cfg.stateDir), this.state.current) : undefined;
  }

  get provisional(): boolean {
    return this.state.state === 'learning';
  }

  setConfig(cfg: LearnerConfig): void {
    this.cfg = { ...this.cfg, learning: cfg.learning, model: cfg.model };
  }

  write(packets: RawPacket[]): void {
    if (!this.stopping) this.spool.write(packets);
  }

  noteAnomaly(ts: number, provisional = false): void {
    const h = Math.floor(ts / 3600);
    this.alertsByHour.set(h, (this.alertsByHour.get(h) ?? 0) + 1);
    if (provisional) this.provisionalByHour.set(h, (this.provisionalByHour.get(h) ?? 0) + 1);
  }

  /** The alert stage's count while learning: packets scored, and how many reached the threshold (rate-limited rows too). */
  noteScored(packets: number, flagged: number): void {
    this.state.scoredWhileLearning += packets;
    this.state.flaggedWhileLearning += flagged;
  }

  noteIncidents(rows: IncidentRecord[], provisional: boolean): void {
    for (const r of rows) {
      const key = `${r.runId}:${r.id}`;
      const prev = this.incidents.get(key);
      this.incidents.set(key, { key, startTs: r.startTs, endTs: r.endTs, provisional: prev?.provisional ?? provisional, packets: r.packets });
      this.incidentsDirty = true;
    }
  }

  /** Every second, from the daemon's tick. Never throws: a problem is logged and retried later. */
  tick(): void {
    if (this.stopping) return;
    try {
      this.spool.tick();
      this.handleRequests();
      const now = Date.now();
      if (!this.training && !this.spool.paused) { // a paused spool (full disk) pauses learning: no training starts
        const due = this.waiting ? null : this.due(now);
        if (due) this.awaitVerdicts(due);
        if (this.waiting && now >= this.waiting.startAt) this.startTraining(this.waiting.reason);
      }
      if (this.incidentsDirty) this.saveIncidents();
      if (now - this.lastStatusAt >= STATUS_EVERY_MS) {
        this.writeStatus();
        this.tickProblem = ''; // the state dir takes writes again: a new problem is a new line
      }
      this.syncMetrics();
    } catch (e) {
      // Status files on a full state dir fail every tick: one line, none while the spool's pause warning stands.
      const msg = `learning: ${(e as Error).message}`;
      if (msg !== this.tickProblem && !this.spool.paused) logger.error(msg);
      this.tickProblem = msg;
    }
  }

  /**
   * Kill a running training (its unfinished directory is removed; a restart trains again), close
   * the spool. `status: false` (a start that failed before any model loaded): status.json, which
   * names the model in use, is left as it was.
   */
  async stop(opts: { status: boolean } = { status: true }): Promise<void> {
    this.stopping = true;
    if (this.child) {
      logger.info('learning: stopping the running training; it starts again after the restart');
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child?.kill('SIGKILL'), 3000);
      await this.training?.done;
      clearTimeout(t);
    }
    await this.busy;
    removeIncoming(this.cfg.stateDir);
    this.spool.close();
    this.saveIncidents();
    this.save();
    if (opts.status) this.writeStatus(false);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  private due(now: number): TrainingJob['reason'] | null {
    const s = this.state, l = this.cfg.learning;
    if (s.state === 'learning') {
      if (this.spool.totals().packets < l.minPackets) return null;
      const since = Math.max(Date.parse(s.learningSince), s.lastTrainingAt ? Date.parse(s.lastTrainingAt) : 0);
      if (now - since >= parseDuration(l.period)!) return 'first model';
      const misfit = this.misfit();
      if (misfit) logger.info(`learning: ${misfit}`);
      return misfit ? 'first model' : null;
    }
    return s.nextRetrainAt && now >= Date.parse(s.nextRetrainAt) ? 'scheduled retraining' : null;
  }

  /**
   * Why the first own model should not wait for the period, or null: the model in use flags more
   * than learning.earlyFirstModelAt of what it scored in this learning period (at least
   * minPackets; modelMisfits), and no training has been tried since learning began (a refused one waits for the
   * period as before). On a network unlike its training the shipped model flags a third of the
   * packets for a whole day (realdata-b), while a model of that network's first minutes does far
   * better there (docs/quality.md, "The first own model early").
   */
  private misfit(): string | null {
    const s = this.state, l = this.cfg.learning;
    if (s.lastTrainingAt && Date.parse(s.lastTrainingAt) >= Date.parse(s.learningSince)) return null;
    if (!modelMisfits(s, l)) return null;
    return `the model in use flags ${((100 * s.flaggedWhileLearning) / s.scoredWhileLearning).toFixed(2)}% of the ${s.scoredWhileLearning} packets scored while learning (learning.earlyFirstModelAt ${l.earlyFirstModelAt * 100}%): it does not fit this network, so the first own model is trained now, not after learning.period ${l.period}; a model of the whole period follows at its end`;
  }

  /** After an accepted model: a first model that came before the period's end is followed by one of the whole period, then every retrain.every. */
  private nextRetrainAfter(reason: TrainingJob['reason']): string | null {
    const l = this.cfg.learning;
    const periodEnd = Date.parse(this.state.learningSince) + parseDuration(l.period)!;
    if (reason === 'first model' && l.retrain.every !== 'never' && periodEnd > Date.now()) return new Date(periodEnd).toISOString();
    return nextRetrain(l.retrain.every);
  }

  /**
   * Cut the spool now, and train on what it holds once every packet in it has its final verdict:
   * lookBackSeconds (+ a margin) later, when its anomalies and incidents (open ones included) have
   * reached noteIncidents. Packets spooled meanwhile wait for the next training.
   */
  private awaitVerdicts(reason: TrainingJob['reason']): void {
    this.spool.rotate();
    const wait = this.verdictWaitSeconds;
    this.waiting = { reason, files: new Set(this.spool.files().map((f) => f.file)), startAt: Date.now() + wait * 1000 };
    this.event(`training: ${reason}: waiting ${wait} s for the last packets' verdicts (look-back), then training on the spool as it is now`);
  }

  private startTraining(reason: TrainingJob['reason']): void {
    const l = this.cfg.learning, dir = this.cfg.stateDir;
    const cut = this.waiting?.files;
    this.waiting = null;
    const recentMs = reason === 'first model' ? Infinity : parseDuration(l.retrain.recent)!;
    const files = this.spool.files().filter((f) => cut?.has(f.file) && f.endMs >= Date.now() - recentMs);
    const packets = files.reduce((n, f) => n + f.packets, 0);
    const use = this.host.inUse();
    const all = [...this.incidents.values()];
    const margin = l.retrain.incidentMarginSeconds;
    const exclude: Span[] = l.retrain.excludeIncidents
      ? all.filter((i) => l.retrain.excludeProvisionalIncidents || !i.provisional).map((i) => ({ startTs: i.startTs - margin, endTs: i.endTs + margin }))
      : [];
    const t = l.training;
    const initModel = t.initFromShipped ? (this.cfg.model.dir ?? DEFAULT_MODEL_DIR) : undefined;
    const job: TrainingJob = {
      reason, files: files.map((f) => f.file), out: incomingDir(dir), work: path.join(dir, 'training-work'),
      holdOut: l.check.holdOut, maxFpr: l.check.maxFpr, exclude,
      incidents: all.filter((i) => !i.provisional).map((i) => ({ startTs: i.startTs, endTs: i.endTs })), incidentMarginSeconds: margin,
      minRecallOnIncidents: l.check.minRecallOnIncidents, currentModel: use.dir, currentThreshold: use.threshold,
      training: {
        ...TRAINING_DEFAULTS, window: use.window, stride: use.stride,
        epochs: t.epochs ?? TRAINING_DEFAULTS.epochs, trainStride: Math.min(t.trainStride ?? TRAINING_DEFAULTS.trainStride, use.window),
        syntheticCopies: t.syntheticCopies ?? TRAINING_DEFAULTS.syntheticCopies, targetFpr: t.targetFpr ?? TRAINING_DEFAULTS.targetFpr, seed: t.seed ?? TRAINING_DEFAULTS.seed, initModel,
      },
      nice: t.nice,
    };
    makePrivateDir(storeDir(dir));
    makePrivateDir(job.work);
    const jobFile = path.join(job.work, 'job.json');
    writePrivateFile(jobFile, JSON.stringify(job));
    logger.info(`training: ${reason} started on ${packets} spooled packets in ${files.length} file(s) (${exclude.length} incident span(s) left out, the most recent ${l.check.holdOut * 100}% of the packets held out for the check), in a child process at nice ${t.nice}, heap cap ${t.maxMemoryMB} MB`);
    const child = (this.child = forkTraining(jobFile, t.maxMemoryMB, t.nice));
    let outcome: TrainingOutcome | null = null, error = '';
    child.on('message', (m: TrainingOutcome | { error: string }) => {
      if ('error' in m) error = m.error;
      else outcome = m;
    });
    const since = Date.now();
    const done = new Promise<void>((resolve) => child.on('exit', (code, signal) => {
      this.child = null;
      const by = this.cancelledBy;
      this.cancelledBy = null;
      const finish = this.stopping ? Promise.resolve()
        : by ? this.cancelled(reason, by, since)
        : this.finishTraining(reason, outcome, error || `the training process ended (${signal ?? `exit ${code}`}) without a result`);
      const settled = finish.catch((e: Error) => void logger.error(`training: ${e.message}`)).finally(() => {
        this.training = null;
        if (!this.stopping) this.writeStatus();
        resolve();
      });
      this.busy = Promise.all([this.busy, settled]).then(() => undefined);
    }));
    this.training = { since, reason, done };
    this.metrics.trainingRunning.set(1);
  }

  /** Killed on purpose: no model was checked, so nothing was refused (and lln_trainings_total does not count it). */
  private async cancelled(reason: TrainingJob['reason'], by: string, since: number): Promise<void> {
    this.metrics.trainingRunning.set(0);
    logger.info(`training: ${reason}: training cancelled by ${by} after ${formatDuration(Date.now() - since)}`);
  }

  private async finishTraining(reason: TrainingJob['reason'], o: TrainingOutcome | null, error: string): Promise<void> {
    this.metrics.trainingRunning.set(0);
    const s = this.state, l = this.cfg.learning, dir = this.cfg.stateDir;
    const seconds = o ? o.seconds.toFixed(0) : ((Date.now() - (this.training?.since ?? Date.now())) / 1000).toFixed(0);
    s.lastTrainingAt = new Date().toISOString();
    if (s.state === 'detecting') s.nextRetrainAt = nextRetrain(l.retrain.every);
    const refuse = (why: string) => {
      removeIncoming(dir);
      s.lastTrainingResult = `refused: ${why}`;
      this.metrics.trainings.inc({ result: 'refused' });
      logger.warn(`training: ${reason}: new model refused, keeping ${this.host.inUse().id}: ${why}`);
      this.lastEvent = s.lastTrainingResult;
      this.save();
    };
    if (!o) return refuse(error);
    if (!o.accepted) return refuse(o.reason);
    const recall = o.syntheticRecall ?? 0;
    if (recall < l.check.minSyntheticRecall) {
      return refuse(`it catches only ${(recall * 100).toFixed(1)}% of the held-out synthetic anomalies at its threshold (learning.check.minSyntheticRecall ${l.check.minSyntheticRecall})`);
    }
    const name = commitModel(dir, o.out);
    const was = { state: s.state, current: s.current, previous: s.previous };
    // The state first: the alert stage made by the swap reads it (own model → alerts no longer provisional).
    s.previous = s.current;
    s.current = name;
    s.state = 'detecting';
    try {
      await this.host.adopt(path.join(storeDir(dir), name), `${reason}: own model ${name}`);
    } catch (e) {
      Object.assign(s, was);
      rmSync(path.join(storeDir(dir), name), { recursive: true, force: true });
      return refuse(`it does not load: ${(e as Error).message}`);
    }
    s.nextRetrainAt = this.nextRetrainAfter(reason);
    s.lastTrainingResult = `accepted ${name}: check FPR ${o.checkFpr!.toFixed(4)} ≤ ${l.check.maxFpr} on ${o.packets.check} held-out packets, synthetic recall ${recall.toFixed(3)}, threshold ${o.threshold!.toFixed(4)}, trained on ${o.packets.train} packets in ${seconds} s`;
    this.lastEvent = s.lastTrainingResult;
    this.metrics.trainings.inc({ result: 'accepted' });
    this.save();
    pruneModels(dir, KEEP_MODELS, [s.current, s.previous]);
    if (was.state !== 'detecting') logger.info(`lifecycle: learning → detecting with own model ${name} (${s.lastTrainingResult})`);
    else logger.info(`training: ${reason}: swapped in own model ${name}, previous ${s.previous ?? 'the shipped model'} kept for rollback (${s.lastTrainingResult})`);
  }

  /** The saved current model must still be usable: else the previous one, else the shipped model (and learning again). */
  private checkCurrent(): void {
    const s = this.state;
    for (const which of ['current', 'previous'] as const) {
      const name = s[which];
      if (!name) continue;
      const got = findModel(this.cfg.stateDir, name);
      if ('problem' in got) {
        // Not 'run lln-detect model rollback': a skipped current model already falls back to the
        // previous one (below), and a skipped previous one leaves nothing to roll back to.
        logger.error(`model store: skipping ${name} (${which}): ${got.problem}; ${which === 'current' ? 'falling back as below' : 'it cannot be rolled back to'}; remove ${path.join(storeDir(this.cfg.stateDir), name)} (lln-detect model list shows the store)`);
        s[which] = null;
      }
    }
    if (!s.current && s.previous) {
      s.current = s.previous;
      s.previous = null;
      logger.warn(`model store: using the previous own model ${s.current}`);
    }
    if (!s.current && s.state === 'detecting') {
      s.state = 'learning';
      s.learningSince = new Date().toISOString();
      s.nextRetrainAt = null;
      s.scoredWhileLearning = s.flaggedWhileLearning = 0;
      logger.warn('lifecycle: detecting → learning (no usable own model left; scoring with the shipped model)');
    }
  }

  // ---- requests from the CLI (files in <stateDir>/requests/) -----------------------------------

  private handleRequests(): void {
    const dir = path.join(this.cfg.stateDir, 'requests');
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir) as RequestName[]) {
      if (!REQUESTS.includes(name)) continue;
      // A fresh last event before the request goes: `model rollback` (the CLI) reads the answer to it there.
      if (name === 'rollback') this.event('model rollback: requested (lln-detect model rollback)');
      rmSync(path.join(dir, name), { force: true });
      if (name === 'learn-now') {
        if (this.training) this.event(`learn --now: a training (${this.training.reason}) is already running`);
        else if (this.waiting) this.event(`learn --now: a training (${this.waiting.reason}) is already waiting for its packets' verdicts`);
        else this.awaitVerdicts('requested (learn --now)');
      } else if (name === 'reset') {
        this.queue('learn --reset', () => this.reset());
      } else if (name === 'rollback') {
        this.queue('model rollback', () => this.rollback());
      }
    }
  }

  private queue(what: string, work: () => Promise<void>): void {
    this.busy = this.busy.then(work).catch((e: Error) => this.event(`${what} failed: ${e.message}`, 'error'));
  }

  private async reset(): Promise<void> {
    if (this.child) {
      this.cancelledBy = 'learn --reset';
      this.child.kill('SIGKILL');
    }
    await this.training?.done;
    this.waiting = null;
    const prev = this.state;
    this.state = freshState();
    try {
      await this.host.adopt(undefined, 'learn --reset: back to the shipped model');
    } catch (e) {
      this.state = prev;
      throw e;
    }
    this.spool.clear();
    this.incidents.clear();
    this.incidentsDirty = true;
    this.save();
    this.event(`lifecycle: ${prev.state} → learning (learn --reset: spool cleared, own models kept in the store)`);
  }

  private async rollback(): Promise<void> {
    const s = this.state;
    if (!s.previous) return this.event(`model rollback: no previous own model to go back to (in use: ${s.current ?? 'the shipped model'}); lln-detect learn --reset goes back to the shipped model`, 'warn');
    const got = findModel(this.cfg.stateDir, s.previous);
    if ('problem' in got) return this.event(`model rollback: the previous model ${s.previous} is unusable (${got.problem}); still on ${s.current}`, 'error');
    try {
      await this.host.adopt(got.model.dir, `rollback to ${s.previous}`);
    } catch (e) {
      // Loaded and checked as SIGHUP loads a model: a broken one is refused and the current one kept.
      return this.event(`model rollback: the previous model ${s.previous} does not load (${(e as Error).message}); still on ${s.current ?? 'the shipped model'}`, 'error');
    }
    [s.current, s.previous] = [s.previous, s.current];
    s.state = 'detecting';
    this.save();
    this.event(`model rollback: now on ${s.current}, ${s.previous} kept as previous`);
  }

  private event(msg: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.lastEvent = msg;
    logger[level](msg);
    this.writeStatus();
  }

  // ---- persistence -----------------------------------------------------------------------------

  private save(): void {
    writeState(this.cfg.stateDir, this.state);
    this.savedScored = this.state.scoredWhileLearning;
    this.syncMetrics();
  }

  private loadIncidents(): void {
    try {
      const list = JSON.parse(readFileSync(path.join(this.cfg.stateDir, INCIDENTS_FILE), 'utf8')) as IncidentNote[];
      for (const i of list) this.incidents.set(i.key, i);
    } catch {
      /* none yet, or unreadable: incidents are only left out of training */
    }
  }

  private saveIncidents(): void {
    const oldest = Date.now() / 1000 - parseDuration(this.cfg.learning.spool.maxAge)! / 1000;
    const keep = [...this.incidents.values()].filter((i) => i.endTs >= oldest).slice(-2000);
    this.incidents = new Map(keep.map((i) => [i.key, i]));
    writeJsonAtomic(path.join(this.cfg.stateDir, INCIDENTS_FILE), keep);
    this.incidentsDirty = false;
  }

  private writeStatus(running = true): void {
    this.lastStatusAt = Date.now();
    // The counts survive a restart: a busy network should not count minPackets again before its early model.
    if (this.state.scoredWhileLearning !== this.savedScored) this.save();
    const hourNow = Math.floor(Date.now() / 3600e3);
    for (const h of this.alertsByHour.keys()) if (h < hourNow - 48) this.alertsByHour.delete(h);
    for (const h of this.provisionalByHour.keys()) if (h < hourNow - 48) this.provisionalByHour.delete(h);
    const use = this.host.inUse();
    const t = this.spool.totals();
    const snap: StatusSnapshot = {
      pid: running ? process.pid : null, updatedAt: new Date().toISOString(), running,
      model: { id: use.id, dir: use.dir, own: this.state.current !== null, threshold: use.threshold },
      spool: { packets: t.packets, bytes: t.bytes, files: t.files, maxBytes: toBytes(this.cfg.learning.spool.maxBytes) },
      learning: {
        period: this.cfg.learning.period, minPackets: this.cfg.learning.minPackets, retrainEvery: this.cfg.learning.retrain.every,
        earlyFirstModelAt: this.cfg.learning.earlyFirstModelAt,
      },
      training: this.training ? { since: new Date(this.training.since).toISOString(), reason: this.training.reason } : null,
      alertsByHour: Object.fromEntries(this.alertsByHour), provisionalByHour: Object.fromEntries(this.provisionalByHour), lastEvent: this.lastEvent,
    };
    writeJsonAtomic(path.join(this.cfg.stateDir, STATUS_FILE), snap);
  }

  private syncMetrics(): void {
    const m = this.metrics;
    for (const st of ['learning', 'detecting'] as const) m.lifecycle.set({ state: st }, this.state.state === st ? 1 : 0);
    const t = this.spool.totals();
    m.spoolPackets.set(t.packets);
    m.spoolBytes.set(t.bytes);
  }

  describe(): string {
    const s = this.state;
    let model = '(loading)';
    try {
      model = this.host.inUse().id;
    } catch {
      /* not loaded yet */
    }
    return `state: ${s.state}\nmodel: ${model}\ntraining: ${this.training ? `running for ${formatDuration(Date.now() - this.training.since)}` : 'no'}\n`;
  }
}

/**
 * The training child: its own heap cap, one thread for libuv and any native math, and the lowest
 * priority (set here and again by the child itself), so capture and scoring keep both cores
 * first. The daemon benchmark starts its trainings through this too.
 */
export function forkTraining(jobFile: string, maxMemoryMB: number, nice: number): ChildProcess {
  const child = fork(path.join(__dirname, 'training-child.js'), [jobFile], {
    execArgv: [`--max-old-space-size=${maxMemoryMB}`],
    env: { ...process.env, UV_THREADPOOL_SIZE: '1', OMP_NUM_THREADS: '1', TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    if (child.pid) os.setPriority(child.pid, nice);
  } catch {
    /* the child lowers its own priority as it starts */
  }
  return child;
}

function toBytes(v: number | string): number {
  return typeof v === 'number' ? v : parseSize(v)!;
}

function nextRetrain(every: string): string | null {
  return every === 'never' ? null : new Date(Date.now() + parseDuration(every)!).toISOString();
}
