import type { TrainingOptions } from '../train/run-training';

/** A time span (epoch seconds) of an incident, with the margin already added where it is left out. */
export interface Span { startTs: number; endTs: number }

/** What the daemon asks of a background training (sent to the child as JSON). */
export interface TrainingJob {
  reason: 'first model' | 'scheduled retraining' | 'requested (learn --now)';
  /** Closed training-spool files, oldest first. */
  files: string[];
  /** The incoming model directory (models/.incoming-*) and a scratch folder for the cut captures. */
  out: string;
  work: string;
  /** Last fraction of the spool's time held out from training for the check. */
  holdOut: number;
  maxFpr: number;
  /** Spans left out of training and check: incidents (with margin). */
  exclude: Span[];
  /** Recent incidents the current model flagged (no margin): the candidate must still flag them. */
  incidents: Span[];
  incidentMarginSeconds: number;
  minRecallOnIncidents: number;
  /** The model in use now (compared on the incidents). */
  currentModel: string;
  currentThreshold: number;
  training: Pick<TrainingOptions, 'epochs' | 'batchSize' | 'validationSplit' | 'learningRate' | 'window' | 'stride' | 'trainStride' | 'patience' | 'targetFpr' | 'syntheticCopies' | 'seed'> & { initModel?: string };
  nice: number;
}

/** What the child reports back. `accepted: false` always carries the reason, for the log line. */
export interface TrainingOutcome {
  accepted: boolean;
  reason: string;
  out: string;
  packets: { train: number; check: number; excluded: number; incidents: number };
  threshold: number | null;
  checkFpr: number | null;
  /** Share of the held-out synthetic anomalies at or above the threshold (training's validation). */
  syntheticRecall: number | null;
  incidentRecall: number | null;
  seconds: number;
}
