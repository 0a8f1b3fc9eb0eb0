import { closeSync, constants, fchmodSync, fchownSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, statSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';

/**
 * The state directory holds captured traffic (the training spool: raw packets, cleartext logins,
 * mail, DNS) and the alerts: only its owner may read it. Directories 0700, files 0600, whatever
 * the umask the daemon was started with. Every place that creates something there goes through
 * these helpers; the daemon also sets its umask to 0077 at start (SQLite creates -wal and -shm
 * itself) and tightens what an older version left behind.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_UMASK = 0o077;

const isRoot = () => process.geteuid?.() === 0;

/**
 * Root writing into a directory another user owns (`sudo lln-detect learn --reset` in the
 * service's state directory): what it creates goes to that user, or the daemon could not read it.
 */
function inheritOwner(fd: number, dir: string): void {
  if (!isRoot()) return;
  const st = statSync(dir);
  if (st.uid !== 0) fchownSync(fd, st.uid, st.gid);
}

/** mkdir -p, 0700; directories it creates belong to the owner of the one they are made in (see inheritOwner). */
export function makePrivateDir(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let d = abs; ; d = path.dirname(d)) {
    try {
      statSync(d);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) throw e;
      missing.unshift(d);
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: PRIVATE_DIR_MODE });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile by someone else: theirs
      throw e;
    }
    const fd = openSync(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      fchmodSync(fd, PRIVATE_DIR_MODE); // mkdir's mode is masked by the umask; this is not
      inheritOwner(fd, path.dirname(d));
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Write (create or truncate) a file 0600, owned as makePrivateDir says. Never through a symlink or
 * into a file with other hard links: root may be writing into a directory another user controls.
 */
export function writePrivateFile(file: string, data: string | Buffer): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink > 1) throw new Error(`${file}: not a plain file (${st.nlink} links); remove it`);
    ftruncateSync(fd, 0);
    fchmodSync(fd, PRIVATE_FILE_MODE); // an existing file keeps its mode on open
    inheritOwner(fd, path.dirname(file));
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
  } finally {
    closeSync(fd);
  }
}

export interface SecureResult {
  /** Entries whose mode lost group/other bits. */
  tightened: number;
  /** Entries given to `owner`. */
  chowned: number;
  /** What could not be fixed: `path: why` (the first few). */
  failed: string[];
  failedCount: number;
}

const ENTRY_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Take away group and other access from `root` and everything under it, and when `owner` is given
 * (root handing the directory to the daemon's user) make that user own all of it.
 *
 * Every entry is changed through a descriptor opened without following symlinks, and children
 * are opened through /proc/self/fd/DIRFD/NAME (openat, which Node lacks): a tree the unprivileged
 * user could rearrange while root walks it can never send a chmod or chown outside it. Symlinks,
 * sockets and FIFOs are left alone, and so are files with several hard links (one may be a file
 * elsewhere).
 */
export function securePrivateTree(root: string, owner?: { uid: number; gid: number }): SecureResult {
  const res: SecureResult = { tightened: 0, chowned: 0, failed: [], failedCount: 0 };
  const fail = (where: string, why: string) => {
    if (res.failed.length < 3) res.failed.push(`${where}: ${why}`);
    res.failedCount++;
  };
  const fix = (fd: number, st: Stats, where: string) => {
    try {
      if (owner && (st.uid !== owner.uid || st.gid !== owner.gid)) {
        fchownSync(fd, owner.uid, owner.gid);
        res.chowned++;
      }
      const mode = st.mode & 0o7777;
      if (mode !== (mode & 0o700)) {
        fchmodSync(fd, mode & 0o700);
        res.tightened++;
      }
    } catch (e) {
      fail(where, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  };
  const walk = (fd: number, where: string) => {
    let names: string[];
    try {
      names = readdirSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      return fail(where, (e as NodeJS.ErrnoException).code ?? (e as Error).message); // another user's private directory
    }
    for (const name of names) {
      const shown = path.join(where, name);
      let child: number;
      try {
        child = openSync(`/proc/self/fd/${fd}/${name}`, ENTRY_FLAGS);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ELOOP' && code !== 'ENXIO' && code !== 'ENOENT') fail(shown, code ?? (e as Error).message); // symlink, socket, gone
        continue;
      }
      try {
        const st = fstatSync(child);
        if (st.isDirectory()) {
          fix(child, st, shown);
          walk(child, shown);
        } else if (st.isFile()) {
          if (st.nlink > 1) fail(shown, `${st.nlink} hard links, left alone`);
          else fix(child, st, shown);
        }
      } finally {
        closeSync(child);
      }
    }
  };
  // The state directory itself may be a symlink the operator made (/var/lib/lln-detect → /data/…).
  const top = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fix(top, fstatSync(top), root);
    walk(top, root);
  } finally {
    closeSync(top);
  }
  return res;
}

/** Tighten single files the daemon owns outside the state directory (the SQLite database and its -wal/-shm). */
export function securePrivateFiles(files: string[]): SecureResult {
  const res: SecureResult = { tightened: 0, chowned: 0, failed: [], failedCount: 0 };
  for (const f of files) {
    let fd: number;
    try {
      fd = openSync(f, ENTRY_FLAGS);
    } catch {
      continue; // not there (yet), or a symlink
    }
    try {
      const st = fstatSync(fd);
      const mode = st.mode & 0o7777;
      if (st.isFile() && st.nlink === 1 && mode !== (mode & 0o700)) {
        fchmodSync(fd, mode & 0o700);
        res.tightened++;
      }
    } catch (e) {
      if (res.failed.length < 3) res.failed.push(`${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      res.failedCount++;
    } finally {
      closeSync(fd);
    }
  }
  return res;
}
