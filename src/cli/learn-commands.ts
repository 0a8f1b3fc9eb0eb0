import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../daemon/config-load';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { LlnError } from '../errors';
import { formatDuration, parseDuration } from '../learn/duration';
import { freshState, modelMisfits, readState, writeJsonAtomic, writeState, type LearnState } from '../learn/learn-state';
import { findModel, listModels } from '../learn/model-store';
import { alertsLast24h, ownIncidentsLast24h, INCIDENTS_FILE, STATUS_FILE, type IncidentNote, type RequestName, type StatusSnapshot } from '../learn/status-files';
import { learningEnabled } from '../learn/learner';
import { DEFAULT_MODEL_DIR } from '../paths';
import { formatForwardStatus, readForwardStatus } from '../fleet/forward-status';
import { writeStdout } from '../outputs/sync-output';
import { promiseLine, type FalseIncidents } from '../model/false-incidents';

/**
 * `lln-detect status`, `learn --now | --reset`, `model list | rollback`: they read the state
 * directory (owner-only: as root or the daemon's user), and ask a running daemon through request files
 * in <stateDir>/requests/, which it picks up within a second.
 */
export interface StateDirOptions { config: string; stateDir?: string }

export function resolveStateDir(o: StateDirOptions): string {
  if (o.stateDir) return path.resolve(o.stateDir);
  try {
    return loadConfig(o.config).stateDir;
  } catch (e) {
    throw new LlnError('LLN_E_CONFIG', `${(e as Error).message} (or pass --state-dir DIR)`, { cause: e });
  }
}

function readSnapshot(dir: string): StatusSnapshot | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, STATUS_FILE), 'utf8')) as StatusSnapshot;
  } catch {
    return null;
  }
}

/** The daemon is running when its snapshot is fresh and its pid is alive (EPERM: alive, another user's). */
export function daemonRunning(snap: StatusSnapshot | null): boolean {
  if (!snap?.running || !snap.pid || Date.now() - Date.parse(snap.updatedAt) > 30_000) return false;
  try {
    process.kill(snap.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function modelAge(snap: StatusSnapshot): string {
  for (const f of ['training-report.json']) {
    try {
      const r = JSON.parse(readFileSync(path.join(snap.model.dir, f), 'utf8')) as { createdAt?: string };
      if (r.createdAt) return `age ${formatDuration(Date.now() - Date.parse(r.createdAt))}`;
    } catch {
      /* no report */
    }
  }
  return 'age unknown';
}

/** What the config says about learning, when it is the config of this state directory. */
export interface StatusConfig {
  /** Learning is off: the daemon runs this model as it is (model.dir, or the shipped model with learning.enabled: false). */
  fixedModel?: { dir: string; configured: boolean };
}

/** The alerts line: how many of them the learning period wrote (provisional) and how many the own model. */
function alertsRow(snap: StatusSnapshot, learning: boolean, now: number): string {
  const { total, provisional: p } = alertsLast24h(snap, now);
  if (p === null) return `${total}${learning ? ' (provisional while learning)' : ''}`; // a snapshot of an older daemon
  if (p === 0 || total === 0) return String(total);
  if (p >= total) return `${total}, all provisional (written while learning, before an own model)`;
  return `${total}: ${p} provisional (written while learning), ${total - p} by the own model`;
}

/**
 * What the model's training promised in false incidents (threshold.json `falseIncidents`), or null
 * for a model trained before it was measured. The measured side is the alerts line.
 */
function modelPromise(dir: string): string | null {
  try {
    const t = JSON.parse(readFileSync(path.join(dir, 'threshold.json'), 'utf8')) as { value?: number; falseIncidents?: FalseIncidents };
    return t.falseIncidents && typeof t.value === 'number' ? promiseLine(t.value, t.falseIncidents) : null;
  } catch {
    return null;
  }
}

function readIncidents(dir: string): IncidentNote[] | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, INCIDENTS_FILE), 'utf8')) as IncidentNote[];
  } catch {
    return null;
  }
}

export function statusText(dir: string, now = Date.now(), conf: StatusConfig = {}): string {
  if (conf.fixedModel) {
    const { dir: model, configured } = conf.fixedModel;
    const why = configured ? 'model.dir is set; learning.enabled: true would learn, starting from it' : 'learning.enabled: false';
    const unused = existsSync(path.join(dir, 'learn-state.json')) ? ' (its learning state is from an earlier configuration, unused)' : '';
    return formatRows([['state', `not learning: the daemon runs the fixed model ${model} and does not learn (${why})`], ['state dir', `${dir}${unused}`]]);
  }
  const state = readState(dir);
  const snap = readSnapshot(dir);
  if (!state && !snap) return `no learning state in ${dir}: the daemon has not run with learning here yet (a fresh install starts learning on its first start)\n`;
  const rows: [string, string][] = [];
  const s = state ?? freshState();
  const running = daemonRunning(snap);
  rows.push(['state', `${s.state}${s.state === 'learning' ? ` since ${s.learningSince}` : ''}`]);
  if (snap) rows.push(['model', `${snap.model.id} (${snap.model.own ? 'own' : 'shipped/configured'}, ${modelAge(snap)}, threshold ${snap.model.threshold.toFixed(4)})`]);
  const promise = snap ? modelPromise(snap.model.dir) : null;
  if (promise) {
    rows.push(['promise', promise]);
    // The measured side: every incident counts (the sensor cannot tell a false one from a true one).
    const measured = ownIncidentsLast24h(readIncidents(dir), now);
    if (measured !== null && snap!.model.own) rows.push(['measured', `${measured} incident${measured === 1 ? '' : 's'} in the last 24 h by own models, true and false alike (review them: lln-detect's incidents table)`]);
  }
  if (!snap) rows.push(['model', s.current ? `${s.current} (own)` : 'shipped/configured']); // no status file yet: the state alone
  if (s.state === 'learning' && snap) rows.push(...learningRows(s, snap, now));
  if (snap?.training) rows.push(['training', `running (${snap.training.reason}) for ${formatDuration(now - Date.parse(snap.training.since))}`]);
  else rows.push(['training', running ? 'idle' : 'none (daemon stopped)']);
  if (s.lastTrainingAt) rows.push(['last training', `${s.lastTrainingAt}: ${s.lastTrainingResult ?? ''}`]);
  rows.push(['next retrain', s.nextRetrainAt ? `${s.nextRetrainAt} (in ${formatDuration(Date.parse(s.nextRetrainAt) - now)})` : s.state === 'learning' ? 'after learning' : 'never (learning.retrain.every)']);
  if (snap) rows.push(['spool', `${snap.spool.packets} packets, ${(snap.spool.bytes / 1e6).toFixed(1)} MB of ${(snap.spool.maxBytes / 1e6).toFixed(0)} MB, ${snap.spool.files} file(s)`]);
  if (snap) {
    rows.push(['alerts 24h', alertsRow(snap, s.state === 'learning', now)]);
  }
  rows.push(['daemon', running ? `running (pid ${snap!.pid}, updated ${snap!.updatedAt})` : `stopped${snap ? ` (last seen ${snap.updatedAt})` : ''}`]);
  if (snap?.lastEvent) rows.push(['last event', snap.lastEvent]);
  rows.push(['state dir', dir]);
  return formatRows(rows);
}

/**
 * Where learning stands: packets and time against minPackets and the period, and the share the
 * model in use flags (learning.earlyFirstModelAt): above it, only minPackets is waited for.
 */
function learningRows(s: LearnState, snap: StatusSnapshot, now: number): [string, string][] {
  const { minPackets, period, earlyFirstModelAt: at } = snap.learning;
  const elapsed = now - Date.parse(s.learningSince);
  const scored = s.scoredWhileLearning, flagged = s.flaggedWhileLearning;
  const early = at !== undefined && modelMisfits(s, { minPackets, earlyFirstModelAt: at });
  const byPackets = snap.spool.packets / minPackets;
  const done = early ? byPackets : Math.min(elapsed / (parseDuration(period) ?? NaN), byPackets);
  const rows: [string, string][] = [['learning', `${snap.spool.packets} of at least ${minPackets} packets, ${formatDuration(elapsed)} of ${period}${early ? ' (the period is not waited for, below)' : ''} (${Math.min(100, Math.round(100 * done))}%)`]];
  if (scored > 0 && at !== undefined) {
    const share = `${((100 * flagged) / scored).toFixed(2)}% of ${scored} packets scored while learning`;
    rows.push(['flagged', flagged > at * scored ? `${share} (above learning.earlyFirstModelAt ${at * 100}%: the first own model comes at ${minPackets} packets)` : `${share} (at most learning.earlyFirstModelAt ${at * 100}%: the first own model comes after the period)`]);
  }
  return rows;
}

function formatRows(rows: [string, string][]): string {
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([k, v]) => `${(k + ':').padEnd(w)}${v}`).join('\n') + '\n';
}

export async function runStatus(o: StateDirOptions): Promise<void> {
  const dir = resolveStateDir(o);
  writeStdout(statusText(dir, Date.now(), statusConfig(o, dir)) + forwardSection(o));
}

/** Learning as the config sets it, when the config names this state directory (else nothing is assumed). */
function statusConfig(o: StateDirOptions, dir: string): StatusConfig {
  if (o.stateDir && !existsSync(o.config)) return {};
  try {
    const cfg = loadConfig(o.config);
    if (cfg.stateDir !== dir || learningEnabled(cfg)) return {};
    return { fixedModel: { dir: cfg.model.dir ?? DEFAULT_MODEL_DIR, configured: cfg.model.dir !== undefined } };
  } catch {
    return {};
  }
}

/** The fleet forwarder's section, when the config forwards to PostgreSQL (read from the local SQLite file). */
function forwardSection(o: StateDirOptions): string {
  if (o.stateDir && !existsSync(o.config)) return '';
  let db: string | false;
  try {
    const cfg = loadConfig(o.config);
    if (!cfg.outputs.postgres) return '';
    db = cfg.outputs.sqlite;
  } catch {
    return '';
  }
  if (db === false) return '';
  try {
    return formatForwardStatus(readForwardStatus(db));
  } catch (e) {
    return `forwarding to PostgreSQL: cannot read ${db} (${(e as Error).message}); run as root or the lln-detect user\n`;
  }
}

async function ask(dir: string, req: RequestName, until: (s: LearnState | null) => boolean, timeoutMs: number): Promise<boolean> {
  const rdir = path.join(dir, 'requests');
  try {
    // Owned by the state directory's owner even under sudo: the daemon's user must be able to remove it.
    makePrivateDir(rdir);
    writePrivateFile(path.join(rdir, req), new Date().toISOString() + '\n');
  } catch (e) {
    throw new LlnError('LLN_E_OUTPUT', `cannot leave a request in ${rdir}: ${(e as Error).message}; run as root or the lln-detect user`, { cause: e });
  }
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!existsSync(path.join(rdir, req)) && until(readState(dir))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export async function runLearn(o: StateDirOptions & { now?: boolean; reset?: boolean }): Promise<void> {
  if (!o.now === !o.reset) throw new LlnError('LLN_E_USAGE', 'give one of --now (train on the spool now) or --reset (forget what was learned, start learning again)');
  const dir = resolveStateDir(o);
  const running = daemonRunning(readSnapshot(dir));
  if (o.now) {
    if (!running) throw new LlnError('LLN_E_USAGE', `the daemon is not running (state dir ${dir}); trainings run inside it: start it (systemctl start lln-detect), then lln-detect learn --now`);
    if (!(await ask(dir, 'learn-now', () => true, 10_000))) throw new LlnError('LLN_E_USAGE', 'the daemon did not pick up the request within 10 s; check its log (journalctl -u lln-detect)');
    writeStdout('training requested; follow it with: lln-detect status\n');
    return;
  }
  if (running) {
    if (!(await ask(dir, 'reset', (s) => s?.state === 'learning' && s.current === null, 30_000))) throw new LlnError('LLN_E_USAGE', 'the daemon did not reset within 30 s; check its log (journalctl -u lln-detect)');
  } else {
    rmSync(path.join(dir, 'training-spool'), { recursive: true, force: true });
    rmSync(path.join(dir, INCIDENTS_FILE), { force: true });
    writeState(dir, freshState());
    const snap = readSnapshot(dir);
    if (snap) writeJsonAtomic(path.join(dir, STATUS_FILE), { ...snap, spool: { ...snap.spool, packets: 0, bytes: 0, files: 0 }, lastEvent: 'learn --reset (daemon stopped)' });
  }
  writeStdout(`learning starts over: spool cleared, own models kept in ${path.join(dir, 'models')} (lln-detect model list)\n`);
}

export async function runModelList(o: StateDirOptions): Promise<void> {
  const dir = resolveStateDir(o);
  const s = readState(dir);
  const lines: string[] = [];
  const models = listModels(dir, (name, why) => lines.push(`${name}  SKIPPED: ${why}`));
  for (const m of models) {
    const tag = m.name === s?.current ? 'current' : m.name === s?.previous ? 'previous' : '';
    const chk = m.check ? `check FPR ${m.check.fpr.toFixed(4)} on ${m.check.packets} packets` : '';
    lines.push(`${m.name}  ${tag.padEnd(8)}  threshold ${m.threshold.toFixed(4)}  trained on ${m.packets ?? '?'} packets  ${chk}`.trimEnd());
  }
  if (lines.length === 0) lines.push(`no own models in ${path.join(dir, 'models')} yet${s?.state === 'learning' ? ' (still learning: lln-detect status)' : ''}`);
  if (!s?.current) lines.push('in use: the shipped/configured model');
  writeStdout(lines.join('\n') + '\n');
}

export async function runModelRollback(o: StateDirOptions): Promise<void> {
  const dir = resolveStateDir(o);
  const s = readState(dir);
  if (!s?.previous) throw new LlnError('LLN_E_USAGE', `no previous own model to roll back to (in use: ${s?.current ?? 'the shipped model'}); lln-detect learn --reset goes back to the shipped model`);
  const got = findModel(dir, s.previous);
  if ('problem' in got) throw new LlnError('LLN_E_MODEL', `the previous model ${s.previous} is unusable (${got.problem}); keeping ${s.current}`);
  const want = s.previous, was = s.current;
  if (daemonRunning(readSnapshot(dir))) {
    // The daemon answers in its last event: done (current is the previous one), or refused ('…; still on …').
    let refused: string | null = null;
    const answered = await ask(dir, 'rollback', (n) => {
      if (n?.current === want) return true;
      const ev = readSnapshot(dir)?.lastEvent ?? '';
      if (/^model rollback: .*; still on /.test(ev)) refused = ev;
      return refused !== null;
    }, 30_000);
    if (refused) throw new LlnError('LLN_E_MODEL', `the daemon refused the rollback: ${String(refused).replace(/^model rollback: /, '')}`);
    if (!answered) throw new LlnError('LLN_E_MODEL', `the daemon did not roll back within 30 s: ${readSnapshot(dir)?.lastEvent ?? 'see its log'}`);
  } else {
    writeState(dir, { ...s, current: want, previous: was, state: 'detecting' });
  }
  writeStdout(`rolled back: now on ${want}, ${was} kept as previous\n`);
}
