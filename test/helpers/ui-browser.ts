import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { CLI } from './cli';

/**
 * Debian's chromium driven by playwright-core (no browser download: the system's), and
 * `lln-detect ui` as a real child process, for the test/ui-*.test.ts files.
 */
export const CHROMIUM = process.env.LLN_CHROMIUM ?? '/usr/bin/chromium';

/** Pass as node:test's `skip` option. */
export const SKIP_NO_CHROMIUM = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: the browser tests need Debian's chromium (apt-get install chromium; or set LLN_CHROMIUM): skipping`;

/**
 * Headless, no network of its own: without the background-networking flags chromium tries
 * Google's hosts at every start, which this machine's closed network refuses many times over.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
    ], // playwright gives each launch a fresh, empty profile of its own
  });
}

export interface UiProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** `lln-detect ui ARGS --listen 127.0.0.1:0`, resolved once it prints its URL. */
export function startUi(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [CLI, 'ui', '--listen', '127.0.0.1:0', ...args], {
    cwd: opts.cwd, env: { ...process.env, LLN_LOG_FORMAT: 'text', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stderr!.on('data', (d) => (err += d));
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lln-detect ui did not start in 15 s: ${out} ${err}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /lln-detect ui: (http:\/\/\S+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], stderr: () => err, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lln-detect ui exited ${code} before listening: ${err}`));
    });
  });
}
