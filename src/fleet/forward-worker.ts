import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ForwardReason } from './forward-error';
import type { ForwardObserver } from './forward-metrics';
import { Forwarder } from './forwarder';
import { pgTarget, type PgTargetOptions } from './pg-target';
import type { FromForwardWorker, ToForwardWorker } from './forward-thread';

/**
 * The forwarder's own thread: SQLite reads of a batch (tens of ms on a loaded machine) and pg's
 * parameter encoding never take a turn from the capture loop on the main thread.
 */
const port = parentPort!;
// On Linux a priority set from a thread applies to that thread only: the forwarder yields the
// CPU to capture and scoring when the machine is busy, and catches up when it is not.
try {
  setPriority(10);
} catch {
  /* not allowed (some sandboxes): run at the process's priority */
}
const data = workerData as { db: string; target: PgTargetOptions; batchRows?: number; idleMs?: number; retryMaxMs?: number };
const post = (m: FromForwardWorker) => port.postMessage(m);

const observer: ForwardObserver = {
  forwarded: (rows) => post({ type: 'forwarded', rows }),
  failing: (reason: ForwardReason | null) => post({ type: 'failing', reason }),
  pending: (rows, lagSeconds) => post({ type: 'pending', rows, lagSeconds }),
};

let forwarder: Forwarder | undefined;
try {
  forwarder = new Forwarder({ ...data, target: pgTarget(data.target), observer });
  forwarder.start();
  post({ type: 'started' });
} catch (e) {
  const err = e as { message?: string; reason?: ForwardReason };
  post({ type: 'failed', message: err.message ?? String(e), reason: err.reason ?? 'local' });
}

port.on('message', (m: ToForwardWorker) => {
  if (m.type === 'refresh') forwarder?.refreshPending();
  if (m.type === 'stop') {
    if (!forwarder) return void port.close(); // it never started; the main thread already has the reason
    void forwarder.stop(m.drainMs).then((p) => {
      post({ type: 'stopped', forwarded: p.forwarded, anomaliesSent: p.anomaliesSent, inserted: p.inserted, pending: p.pending, error: p.error?.message ?? null, reason: p.error?.reason ?? null });
      port.close();
    });
  }
});
