import { execFile, spawnSync } from 'node:child_process';
import { logger } from '../logger';

/**
 * sd_notify(3) for systemd's Type=notify, failing soft when not under systemd.
 *
 * NOTIFY_SOCKET is a unix DATAGRAM socket and Node has none, so the message goes through the
 * `systemd-notify` tool (shipped with systemd, hence present wherever NOTIFY_SOCKET is set). It
 * runs as a child process, so systemd sees a sender other than the main PID: the unit needs
 * NotifyAccess=all. systemd-notify (without --no-block) waits until PID 1 has read the message,
 * so the sender is still alive when systemd attributes it to the unit (see systemd-notify(1)).
 * `--pid=<our pid>` adds MAINPID= so systemd keeps tracking the daemon, not the helper.
 */

const NOTIFY_TIMEOUT_MS = 5000;

function notifyArgs(state: string): string[] | null {
  if (!process.env.NOTIFY_SOCKET) {
    logger.debug(`sd_notify: NOTIFY_SOCKET not set (not started by systemd with Type=notify); not sending ${state.split('\n')[0]}`);
    return null;
  }
  const assignments = state.split('\n').filter((l) => l.length > 0);
  return [`--pid=${process.pid}`, ...assignments];
}

/**
 * Send e.g. 'READY=1', 'STOPPING=1', 'RELOADING=1', 'STATUS=capturing on eth0' (several
 * assignments separated by newlines). Blocks until systemd has the message (milliseconds);
 * returns false, never throws, when there is no systemd or the send failed.
 */
export function sdNotify(state: string): boolean {
  const args = notifyArgs(state);
  if (!args) return false;
  const r = spawnSync('systemd-notify', args, { timeout: NOTIFY_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error) {
    logger.debug(`sd_notify: cannot run systemd-notify (${r.error.message})`);
    return false;
  }
  if (r.status !== 0) {
    logger.debug(`sd_notify: systemd-notify failed (${r.stderr.trim() || `exit ${r.status}`})`);
    return false;
  }
  return true;
}

/** Same as sdNotify without blocking the event loop (watchdog pings, status updates). */
export function sdNotifyAsync(state: string): Promise<boolean> {
  const args = notifyArgs(state);
  if (!args) return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile('systemd-notify', args, { timeout: NOTIFY_TIMEOUT_MS }, (err) => {
      if (err) logger.debug(`sd_notify: systemd-notify failed (${err.message})`);
      resolve(!err);
    });
  });
}

/** The watchdog interval systemd asked for (WatchdogSec=), in ms, or null when none applies to us. */
export function watchdogIntervalMs(): number | null {
  const usec = Number(process.env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  const pid = process.env.WATCHDOG_PID;
  if (pid && Number(pid) !== process.pid) return null;
  return usec / 1000;
}

/**
 * Ping WATCHDOG=1 at half the interval systemd gave (WATCHDOG_USEC), as sd_watchdog_enabled(3)
 * advises. `healthy` lets the daemon stop pinging when its pipeline is stuck, so systemd
 * restarts it. Returns a stopper, or null when no watchdog is configured.
 */
export function startWatchdog(healthy: () => boolean = () => true): { stop(): void } | null {
  const interval = watchdogIntervalMs();
  if (interval === null) return null;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight || !healthy()) return;
    inFlight = true;
    void sdNotifyAsync('WATCHDOG=1').finally(() => {
      inFlight = false;
    });
  }, Math.max(1, Math.floor(interval / 2)));
  // The watchdog must never be what keeps the process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
