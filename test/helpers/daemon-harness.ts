import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * The daemon as a user runs it, for tests and the daemon benchmark: a child process of the real
 * CLI, a veth pair whose peer lives in a network namespace made here (tcpreplay sends into it),
 * metrics read over loopback. Callers remove namespaces and children in a finally.
 */
export const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');
export const children = new Set<ChildProcess>();

export function run(cmd: string, args: string[], timeoutMs = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
export function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** A veth pair: `host` in this namespace (the daemon captures here), `peer` inside `ns` (tcpreplay sends here). */
export class VethNamespace {
  readonly ns = `lln-h-${randomBytes(4).toString('hex')}`;
  readonly host = `lh${randomBytes(3).toString('hex')}a`;
  readonly peer = `lh${randomBytes(3).toString('hex')}b`;

  /**
   * mtu 9000 by default: some samples hold frames bigger than 1500 bytes (offloaded segments
   * captured locally), which tcpreplay could not send otherwise.
   */
  create(mtu = 9000): void {
    must('ip', ['netns', 'add', this.ns]);
    must('ip', ['link', 'add', this.host, 'type', 'veth', 'peer', 'name', this.peer, 'netns', this.ns]);
    // No IPv6 on either end: the kernel's ND/MLD packets would otherwise be captured too.
    must('sysctl', ['-q', '-w', `net.ipv6.conf.${this.host}.disable_ipv6=1`]);
    must('ip', ['netns', 'exec', this.ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${this.peer}.disable_ipv6=1`]);
    must('ip', ['link', 'set', this.host, 'mtu', String(mtu), 'up']);
    must('ip', ['-n', this.ns, 'link', 'set', this.peer, 'mtu', String(mtu), 'up']);
  }

  destroy(): void {
    run('ip', ['netns', 'del', this.ns]); // takes the peer, and with it the host end
    run('ip', ['link', 'del', this.host]);
  }

  /** Replay a capture into the peer; returns how many packets tcpreplay reports as sent. */
  replay(file: string, pps: number): number {
    const r = run('ip', ['netns', 'exec', this.ns, 'tcpreplay', '-i', this.peer, '--pps', String(pps), file], 60_000);
    assert.equal(r.status, 0, `tcpreplay failed: ${r.stderr}`);
    return sentCount(r.stdout);
  }
}

export function sentCount(tcpreplayOutput: string): number {
  const m = /Successful packets:\s+(\d+)/.exec(tcpreplayOutput);
  assert.ok(m, `no packet count in tcpreplay output: ${tcpreplayOutput}`);
  return Number(m[1]);
}

/** `lln-detect daemon` as a child process, its log collected. */
export class DaemonProcess {
  log = '';
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly child: ChildProcess;

  constructor(config: string, readonly port: number) {
    this.child = spawn(process.execPath, [CLI, 'daemon', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      children.delete(this.child);
      resolve({ code, signal });
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /**
   * SIGSTOP, returning once the kernel shows the process stopped (state T in /proc/PID/stat):
   * from then on nothing reads libpcap's ring, so whatever arrives beyond its size is dropped.
   */
  async pause(timeoutMs = 10_000): Promise<void> {
    this.signal('SIGSTOP');
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      if (/^\d+ \(.*\) [Tt] /.test(stat)) return;
      await sleep(20);
    }
    assert.fail(`daemon not stopped by SIGSTOP within ${timeoutMs} ms`);
  }

  /** Peak resident memory so far (VmHWM), in MB; NaN when /proc is not available. */
  peakRssMb(): number {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.child.exitCode !== null) assert.fail(`daemon exited early (${this.child.exitCode}):\n${this.log}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    assert.fail(`daemon not ready after ${timeoutMs} ms:\n${this.log}`);
  }

  /** Wait for a log line matching `re` that appears after the first `skip` characters of the log. */
  async waitLog(re: RegExp, timeoutMs = 20_000, skip = 0): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const m = re.exec(this.log.slice(skip));
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await sleep(50);
    }
    assert.fail(`no log line matching ${re} within ${timeoutMs} ms:\n${this.log}`);
  }

  async metric(name: string, labels: string): Promise<number> {
    return (await this.metrics(labels))(name);
  }

  /** One scrape; the returned lookup gives each series with these labels (0 when absent). */
  async metrics(labels: string): Promise<(name: string) => number> {
    const lines = (await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text()).split('\n');
    return (name) => {
      const line = lines.find((l) => l.startsWith(`${name}{${labels}} `));
      return line ? Number(line.split(' ')[1]) : 0;
    };
  }

  /** Poll a metric until it reaches `want` (captures arrive asynchronously). */
  async metricReaches(name: string, labels: string, want: number, timeoutMs = 10_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    let v = 0;
    while (Date.now() < end) {
      v = await this.metric(name, labels);
      if (v >= want) return v;
      await sleep(100);
    }
    return v;
  }

  /** SIGTERM, then the exit code; fails if the daemon takes longer than the unit's TimeoutStopSec allows. */
  async stop(limitMs = 20_000): Promise<{ code: number | null; signal: string | null; final: RegExpExecArray }> {
    const t0 = Date.now();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), limitMs);
    const r = await this.exited;
    clearTimeout(timer);
    assert.ok(Date.now() - t0 < limitMs, `daemon took ${Date.now() - t0} ms to stop:\n${this.log}`);
    const final = /daemon stopped: captured (\d+), packets (\d+), scored (\d+), windows (\d+), dropped windows (\d+)/.exec(this.log);
    assert.ok(final, `no final count line:\n${this.log}`);
    return { ...r, final };
  }
}

export interface DaemonConfigOpts { iface?: string; model: string; port: number; db: string; spool?: string; settleSeconds?: number; bufferSize?: number }
export function writeConfig(file: string, o: DaemonConfigOpts): string {
  const lines = [
    o.iface ? `interfaces:\n  - name: ${o.iface}${o.bufferSize ? `\n    bufferSize: ${o.bufferSize}` : ''}` : 'interfaces: []',
    o.spool ? `spool:\n  dir: ${o.spool}\n  settleSeconds: ${o.settleSeconds ?? 1}` : '',
    `model:\n  dir: ${o.model}`,
    `outputs:\n  sqlite: ${o.db}`,
    'logging:\n  level: info\n  format: text',
    `metrics:\n  listen: 127.0.0.1:${o.port}`,
    `stateDir: ${path.join(path.dirname(file), 'state')}`,
    // Tests run in private temp dirs: never drop to a lln-detect user that may exist on the machine.
    'user: root',
  ];
  // Write-then-rename: a SIGHUP never reads a half-written file.
  writeFileSync(`${file}.tmp`, lines.filter(Boolean).join('\n') + '\n');
  renameSync(`${file}.tmp`, file);
  return file;
}

