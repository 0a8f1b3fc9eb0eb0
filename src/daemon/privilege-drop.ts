import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { LlnError } from '../errors';
import { logger } from '../logger';

/** The user the daemon drops to when started as root, unless the config's `user` says otherwise. */
export const DEFAULT_USER = 'lln-detect';

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** The user's ids from NSS (getent: /etc/passwd, LDAP …), or null when there is no such user. */
export function lookupUser(name: string): RunAs | null {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  const f = r.stdout.split('\n')[0]!.split(':');
  const uid = Number(f[2]), gid = Number(f[3]);
  return f.length >= 4 && f[2] !== '' && f[3] !== '' && Number.isInteger(uid) && Number.isInteger(gid) ? { name: f[0]!, uid, gid } : null;
}

/** The POSIX credential calls (Linux: always there; initgroups is missing from @types/node). */
type Ids = Required<Pick<NodeJS.Process, 'getuid' | 'geteuid' | 'getgid' | 'getegid' | 'setuid' | 'seteuid' | 'setgid' | 'setegid'>> & { initgroups(user: string, group: number): void };
const ids = process as unknown as Ids;

/** `user: root` or `user: ""` (or `user:` left empty): the config asks to keep root. */
export const keepsRoot = (user: string | undefined) => user === '' || user === 'root';

/**
 * Whom a daemon started as root becomes once its capture handles are open, or null to stay as
 * it is: not root (the systemd unit starts it as lln-detect with the two capture capabilities:
 * nothing to drop), `user: root`, or the default user missing (one warning). A user named in the
 * config that does not exist is an error: silently keeping root is what the setting is there to avoid.
 */
export function dropTarget(user: string | undefined): RunAs | null {
  if (process.geteuid?.() !== 0) {
    logger.debug(`not started as root (uid ${process.geteuid?.()}): no privileges to drop`);
    return null;
  }
  if (keepsRoot(user)) return null;
  const name = user ?? DEFAULT_USER;
  const u = lookupUser(name);
  if (!u) {
    if (user !== undefined) throw new LlnError('LLN_E_CONFIG', `user ${name}: no such user; create it (useradd --system --no-create-home --shell /usr/sbin/nologin ${name}), or set user: root to keep root`);
    logger.warn(`running as root with every privilege: user ${name} does not exist (create it: lln-detect install-service; or set user: root to keep root without this warning)`);
    return null;
  }
  return u.uid === 0 ? null : u;
}

/**
 * Dropping root the way tcpdump -Z and Suricata --user do, once the capture handles are open. In
 * between, assume() makes the daemon create its state (database, spool, learn-state.json) as the
 * user already, with root's real and saved ids kept so that regain() can come back for opening the
 * captures; final() then gives root up for good, in the same turn of the event loop.
 */
export class PrivilegeDrop {
  constructor(readonly to: RunAs) {}

  /** Files created from here belong to the user; the kernel suspends root's capabilities meanwhile. */
  assume(): void {
    ids.initgroups(this.to.name, this.to.gid);
    ids.setegid(this.to.gid);
    ids.seteuid(this.to.uid);
  }

  /**
   * The state directory, handed to the user before assume(), must be reachable by it: a parent
   * private to root (a home directory, mktemp -d) would fail later with a less clear message.
   */
  checkReachable(dir: string, what: string): void {
    try {
      readdirSync(dir);
    } catch (e) {
      throw new LlnError('LLN_E_CONFIG', `${what} ${dir}: user ${this.to.name} cannot open it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); a parent directory is private to root: move ${what}, or set user: root`, { cause: e });
    }
  }

  /** Root's effective id back, to open capture handles; call final() in the same turn. */
  regain(): void {
    ids.seteuid(0);
  }

  /** Real, effective and saved ids all the user's: root (and with it every capability) cannot come back. */
  final(): void {
    if (ids.geteuid() !== 0) ids.seteuid(0);
    ids.setgid(this.to.gid);
    ids.setuid(this.to.uid);
    let back = false;
    try {
      ids.setuid(0);
      back = true;
    } catch {
      /* expected: EPERM */
    }
    if (back || ids.getuid() !== this.to.uid || ids.geteuid() !== this.to.uid || ids.getgid() !== this.to.gid || ids.getegid() !== this.to.gid) {
      throw new Error(`dropping root to user ${this.to.name} failed (uid ${ids.getuid()}, gid ${ids.getgid()}); refusing to run with root's privileges`);
    }
  }
}
