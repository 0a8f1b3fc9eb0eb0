import cliProgress from 'cli-progress';
import type { EpochRecord } from '../model/trainer';
import { logger } from '../logger';

/**
 * Training progress: a bar with loss/accuracy and ETA on a TTY; one log line per epoch
 * otherwise (journald, CI logs stay readable).
 */
export class TrainingProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;

  constructor(private readonly epochs: number, private readonly batchesPerEpoch: number) {
    this.bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          // The ETA is to the last epoch asked for (early stopping usually ends sooner), over a whole
          // epoch of batches: a short buffer swung it from 14 min to 3 h as batch times varied.
          { format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | training loss {loss} | held-out: loss {valLoss}, anomalies caught {caught} | at most {eta_formatted} left', stream: process.stderr, hideCursor: true, etaBuffer: Math.max(10, batchesPerEpoch), etaAsynchronousUpdate: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(epochs * batchesPerEpoch, 0, { epoch: 1, epochs, loss: '-', valLoss: '-', caught: '-' });
  }

  batch(logs: { loss?: number; acc?: number } | undefined): void {
    this.done++;
    this.bar?.update(this.done, { loss: fmt(logs?.loss) });
  }

  /** r.epoch counts from 0, as tfjs does. */
  epoch(r: EpochRecord): void {
    const done = r.epoch + 1;
    this.done = done * this.batchesPerEpoch;
    if (this.bar) {
      this.bar.update(this.done, { epoch: Math.min(done + 1, this.epochs), valLoss: fmt(r.valLoss), caught: fmt(r.check?.figures.recall) });
    } else {
      logger.info(epochLine(done, this.epochs, r));
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

/**
 * What tells whether training works, and where each figure is measured: the loss on the training
 * windows and on the held-out windows (the last validation-split of each capture, with its own
 * synthetic anomalies), then, per held-out packet at the threshold calibration would choose now,
 * the share of anomalous packets caught and the real benign packets' FPR. (Per-packet accuracy
 * says little here: 9 packets in 10 are benign, so 0.9 is reached by flagging nothing.)
 */
export function epochLine(done: number, epochs: number, r: EpochRecord): string {
  const c = r.check?.figures;
  const held = c
    ? ` | held-out packets at the early-stopping threshold ${fmt(c.threshold)}: anomalies caught ${fmt(c.recall)}, benign FPR ${pct(c.benignFpr)}, ROC-AUC ${fmt(c.rocAuc)}`
    : '';
  return `epoch ${done}/${epochs}: loss ${fmt(r.loss)} (training windows), ${fmt(r.valLoss)} (held-out windows)${held} (${r.seconds.toFixed(1)} s)`;
}

function pct(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-';
}

function fmt(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '-';
}
