import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { LlnError } from '../errors';

/**
 * Fail before any work (before loading a model or reading a capture) when an output path cannot
 * be written, instead of discovering it after an hour of replay. Probes for real (open/create),
 * because access(2) says yes to root even on paths that refuse writes (/proc, ENOTDIR).
 * '-' (stdout) always passes.
 */
export function checkWritable(target: string, flagHint = '--db/--csv'): void {
  if (target === '-') return;
  const fail = (reason: string): never => {
    throw new LlnError('LLN_E_OUTPUT', `cannot write ${target}: ${reason}; choose another path with ${flagHint}`);
  };
  let exists = false;
  try {
    const st = statSync(target);
    if (st.isDirectory()) fail('it is a directory');
    exists = true;
  } catch (e) {
    if (e instanceof LlnError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') fail('a parent in the path is a file, not a directory');
    if (code !== 'ENOENT') fail(describeFsError(e));
  }
  if (exists) {
    // r+ opens for writing without truncating or creating.
    probe(() => closeSync(openSync(target, 'r+')), fail);
    return;
  }
  const dir = path.dirname(path.resolve(target));
  try {
    if (!statSync(dir).isDirectory()) fail(`${dir} is not a directory`);
  } catch (e) {
    if (e instanceof LlnError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(`directory ${dir} does not exist`);
    if (code === 'ENOTDIR') fail('a parent in the path is a file, not a directory');
    fail(describeFsError(e));
  }
  // Create and remove the file itself: the only test that the directory accepts new files.
  probe(() => {
    closeSync(openSync(target, 'wx'));
    unlinkSync(target);
  }, fail);
}

function probe(action: () => void, fail: (reason: string) => never): void {
  try {
    action();
  } catch (e) {
    fail(describeFsError(e));
  }
}

/** A short human reason for a file-system error code. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a parent in the path is a file, not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EPIPE':
      return 'the reader closed the pipe';
    case 'EIO':
      return 'input/output error';
    default:
      return err.code ? `${err.code} ${err.message}` : String(e);
  }
}
