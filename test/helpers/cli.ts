import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths';

/** The compiled CLI beside this compiled test (<outDir>/src/cli/main.js). */
export const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');
export const DEFAULT_MODEL = path.join(PACKAGE_ROOT, 'models', 'default');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `lln-detect ARGS` as a real child process (non-TTY: JSON logs on stderr). */
export function runCli(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    input: opts.input,
    env: { ...process.env, LLN_LOG_FORMAT: 'text', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 240_000,
    maxBuffer: 1 << 28,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function spawnCli(args: string[], opts: { cwd?: string } = {}) {
  return spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env, LLN_LOG_FORMAT: 'text' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const tempDirs: string[] = [];

/**
 * A fresh directory under the system temp dir, removed when this test file's process exits
 * (node --test runs each file in its own process), so a suite run leaves no litter in /tmp.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `lln-${prefix}-`));
  if (tempDirs.length === 0) process.once('exit', removeTempDirs);
  tempDirs.push(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a directory a child still holds open, or a read-only mount left inside: leave it
    }
  }
}
