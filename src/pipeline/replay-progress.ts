import type cliProgress from 'cli-progress';

/**
 * Replay progress on a TTY: bytes read of the total, packets, packets/s, anomalies, ETA.
 * cli-progress loads only when there is a bar to draw (~15 ms at start otherwise, on the thread
 * replay is limited by).
 */
export class ReplayProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = Date.now();

  constructor(totalBytes: number) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bars = (): typeof cliProgress => require('cli-progress') as typeof cliProgress;
    this.bar = process.stderr.isTTY && totalBytes > 0
      ? new (bars().SingleBar)(
          { format: '[{bar}] {percentage}% | {packets} pkts | {rate} pkts/s | {anomalies} anomalies | ETA {eta_formatted}', stream: process.stderr, hideCursor: true },
          bars().Presets.shades_classic,
        )
      : null;
    this.bar?.start(totalBytes, 0, { packets: 0, rate: 0, anomalies: 0 });
  }

  update(bytes: number, packets: number, anomalies: number): void {
    if (!this.bar) return;
    const secs = Math.max((Date.now() - this.started) / 1000, 1e-3);
    this.bar.update(bytes, { packets, rate: Math.round(packets / secs), anomalies });
  }

  stop(): void {
    this.bar?.stop();
  }
}
