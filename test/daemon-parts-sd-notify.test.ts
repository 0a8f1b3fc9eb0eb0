import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sdNotify, startWatchdog, watchdogIntervalMs } from '../src/daemon/sd-notify';

const HAVE_TOOLS = spawnSync('systemd-notify', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;
const SKIP = HAVE_TOOLS ? false : 'systemd-notify or python3 missing: skipping';

/** A real AF_UNIX datagram socket (what systemd listens on), printing each message as one JSON line. */
const RECEIVER = `
import json, socket, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
s.settimeout(5)
print('BOUND', flush=True)
try:
    while True:
        print(json.dumps(s.recv(65536).decode()), flush=True)
except socket.timeout:
    pass
`;

async function receiver(addr: string): Promise<{ proc: ChildProcessWithoutNullStreams; next(): Promise<string> }> {
  const proc = spawn('python3', ['-c', RECEIVER, addr]);
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    return r.done ? '' : r.value;
  };
  assert.equal(await next(), 'BOUND');
  // systemd-notify follows each message with BARRIER=1 (carrying an fd) to wait until it was read.
  const nextMessage = async (): Promise<string> => {
    for (;;) {
      const line = await next();
      const msg = line ? (JSON.parse(line) as string) : '';
      if (msg !== 'BARRIER=1') return msg;
    }
  };
  return { proc, next: nextMessage };
}

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  try {
    return fn();
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

test('without NOTIFY_SOCKET sdNotify fails soft and no watchdog starts', () => {
  withEnv({ NOTIFY_SOCKET: undefined, WATCHDOG_USEC: undefined }, () => {
    assert.equal(sdNotify('READY=1'), false);
    assert.equal(startWatchdog(), null);
  });
});

test('READY=1 and STATUS arrive on a real unix datagram socket (path and abstract)', { skip: SKIP }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-notify-'));
  try {
    for (const addr of [path.join(dir, 'notify.sock'), `@lln-test-${randomBytes(4).toString('hex')}`]) {
      const r = await receiver(addr);
      try {
        const ok = withEnv({ NOTIFY_SOCKET: addr }, () => sdNotify('READY=1\nSTATUS=capturing on lo'));
        assert.equal(ok, true, `sent to ${addr}`);
        const msg = await r.next();
        const fields = msg.split('\n');
        assert.ok(fields.includes('READY=1'), `got ${JSON.stringify(msg)}`);
        assert.ok(fields.includes('STATUS=capturing on lo'));
        assert.ok(fields.includes(`MAINPID=${process.pid}`), 'names the daemon, not the helper, as main PID');
      } finally {
        r.proc.kill();
      }
    }
    // A socket nobody listens on: false, not an exception.
    assert.equal(withEnv({ NOTIFY_SOCKET: path.join(dir, 'nobody.sock') }, () => sdNotify('READY=1')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the watchdog pings WATCHDOG=1 at half of WATCHDOG_USEC, and only for our PID', { skip: SKIP }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-notify-'));
  const addr = path.join(dir, 'notify.sock');
  const r = await receiver(addr);
  try {
    assert.equal(withEnv({ WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid + 1) }, () => watchdogIntervalMs()), null);
    const wd = withEnv({ NOTIFY_SOCKET: addr, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid) }, () => {
      assert.equal(watchdogIntervalMs(), 400);
      return startWatchdog();
    });
    assert.ok(wd);
    // Keep NOTIFY_SOCKET set while the timer fires (it reads the environment when it sends).
    process.env.NOTIFY_SOCKET = addr;
    const keepAlive = setTimeout(() => {}, 3000);
    try {
      for (let i = 0; i < 2; i++) {
        const m = await r.next();
        assert.ok(m.split("\n").includes("WATCHDOG=1"), `got ${JSON.stringify(m)}`);
      }
    } finally {
      wd.stop();
      clearTimeout(keepAlive);
      delete process.env.NOTIFY_SOCKET;
    }
  } finally {
    r.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
