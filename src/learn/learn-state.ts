import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { LlnError } from '../errors';

export type Lifecycle = 'learning' | 'detecting';

/**
 * What the sensor has learned, persisted in the state directory (learn-state.json) so a restart
 * resumes where it was. Model paths are names inside `<stateDir>/models/`, never absolute: the
 * state directory can move.
 */
export interface LearnState {
  version: 1;
  state: Lifecycle;
  /** When the current learning period began (ISO time); a reset or a fresh install sets it. */
  learningSince: string;
  /** The own model in use (a name in models/), or null: the shipped / configured model. */
  current: string | null;
  /** The one before it, kept for `lln-detect model rollback`. */
  previous: string | null;
  /** When the last training (first model or retraining) finished, accepted or not. */
  lastTrainingAt: string | null;
  lastTrainingResult: string | null;
  /** When the next scheduled retraining is due (ISO), null while learning or with retrain.every 'never'. */
  nextRetrainAt: string | null;
  /** Packets scored in this learning period, and how many the model in use flagged (learning.earlyFirstModelAt). */
  scoredWhileLearning: number;
  flaggedWhileLearning: number;
}

export const STATE_FILE = 'learn-state.json';

/**
 * The model in use does not fit this network (learning.earlyFirstModelAt): of at least minPackets
 * scored in this learning period it flagged more than that share.
 */
export function modelMisfits(s: LearnState, l: { minPackets: number; earlyFirstModelAt: number }): boolean {
  return s.scoredWhileLearning >= l.minPackets && s.flaggedWhileLearning > l.earlyFirstModelAt * s.scoredWhileLearning;
}

export function freshState(now = new Date()): LearnState {
  return { version: 1, state: 'learning', learningSince: now.toISOString(), current: null, previous: null, lastTrainingAt: null, lastTrainingResult: null, nextRetrainAt: null, scoredWhileLearning: 0, flaggedWhileLearning: 0 };
}

/** The saved state, or null when there is none (a fresh install). A damaged file is an error that says what to do. */
export function readState(stateDir: string): LearnState | null {
  const file = path.join(stateDir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new LlnError('LLN_E_UNREADABLE', `${file}: cannot read the learning state (${code === 'EACCES' ? 'permission denied' : (e as Error).message}); run as the lln-detect user or root`, { cause: e });
  }
  try {
    const s = JSON.parse(text) as LearnState;
    if (s?.version !== 1 || (s.state !== 'learning' && s.state !== 'detecting') || typeof s.learningSince !== 'string' || Number.isNaN(Date.parse(s.learningSince))) throw new Error('unexpected content');
    return { ...freshState(), ...s };
  } catch (e) {
    throw new LlnError('LLN_E_UNREADABLE', `${file} is damaged (${(e as Error).message}); remove it to start learning again (lln-detect learn --reset), or restore it from a backup`, { cause: e });
  }
}

/**
 * Write-then-rename: a crash leaves the old state or the new one, never half of one. Owner-only
 * (0600) like the rest of the state directory: `lln-detect status` needs root or the daemon's user.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  makePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  writePrivateFile(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

export function writeState(stateDir: string, s: LearnState): void {
  writeJsonAtomic(path.join(stateDir, STATE_FILE), s);
}
