import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Mount {
  dir: string;
  /** Unmount and remove the mount point. */
  release(): void;
}

/**
 * A real tmpfs (size in KiB; read-only with ro), for full-disk and read-only tests. Needs root
 * (CAP_SYS_ADMIN); returns a reason string when the machine does not allow it, for `skip`.
 */
export function mountTmpfs(sizeKiB: number, opts: { ro?: boolean } = {}): Mount | string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-mnt-'));
  const options = `size=${sizeKiB}k${opts.ro ? ',ro' : ''}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(r.stderr || r.error?.message || 'mount failed').trim()}): skipping`;
  }
  return {
    dir,
    release(): void {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fill the file system of `dir` up to `leaveBytes` of free space, with one file (a disk that is full, or nearly). */
export function fillLeaving(dir: string, leaveBytes: number): void {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  truncateSync(file, Math.max(0, statSync(file).size - leaveBytes));
}
