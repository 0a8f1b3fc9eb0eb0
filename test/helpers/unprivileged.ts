import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/paths';

/** The uid/gid of `nobody`: the unprivileged user root's tests run child processes as. */
export const NOBODY = 65534;

/**
 * Why tests that run this checkout's code as an unprivileged user must skip, or null. A clone
 * inside a private directory (`mktemp -d` makes it 0700) is out of that user's reach, and the
 * child would fail to load the code rather than show what the test asks about.
 */
export function unprivilegedSkip(): string | null {
  if (process.getuid?.() !== 0) return null;
  const r = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(PACKAGE_ROOT)} + '/dist/src/cli/main.js', require('fs').constants.R_OK)`],
    { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  return r.status === 0 ? null : `the checkout ${PACKAGE_ROOT} is not readable by an unprivileged user (a parent directory is private, as mktemp -d makes it): skipping`;
}
