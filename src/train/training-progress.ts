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
          { format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} acc {acc} | val {valLoss}/{valAcc} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(epochs * batchesPerEpoch, 0, { epoch: 1, epochs, loss: '-', acc: '-', valLoss: '-', valAcc: '-' });
  }

  batch(logs: { loss?: number; acc?: number } | undefined): void {
    this.done++;
    this.bar?.update(this.done, { loss: fmt(logs?.loss), acc: fmt(logs?.acc) });
  }

  /** r.epoch counts from 0, as tfjs does. */
  epoch(r: EpochRecord): void {
    const done = r.epoch + 1;
    this.done = done * this.batchesPerEpoch;
    if (this.bar) {
      this.bar.update(this.done, { epoch: Math.min(done + 1, this.epochs), valLoss: fmt(r.valLoss), valAcc: fmt(r.valAccuracy) });
    } else {
      logger.info(`epoch ${done}/${this.epochs}: loss ${fmt(r.loss)} acc ${fmt(r.accuracy)} val_loss ${fmt(r.valLoss)} val_acc ${fmt(r.valAccuracy)} (${r.seconds.toFixed(1)} s)`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

function fmt(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '-';
}
