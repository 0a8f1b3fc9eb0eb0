import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PACKAGE_ROOT } from '../src/paths';
import { DEFAULT_MODEL, tempDir } from './helpers/cli';
import { children, DaemonProcess, freePort, sleep, VethNamespace } from './helpers/daemon-harness';
import { mountTmpfs, type Mount } from './helpers/mounts';

/**
 * Found by the daemon fault run (bench/fuzz-daemon.ts): when an output fails (here the CSV's disk
 * fills), the daemon stops by itself, committing what it captured and marking the run failed. It
 * dropped its signal handlers at that moment, as after a SIGTERM, so the first SIGTERM during that
 * stop (systemd's, an operator's) counted as a second one: `lln-detect: interrupted by SIGTERM`,
 * exit 130, the output's error line never printed, the last alerts not committed and the run row
 * left `running`. Now that signal is noted and the stop goes on; a second one still ends it at once.
 */
const SAMPLE = path.join(PACKAGE_ROOT, 'samples', 'lan-portscan.pcap');
const IS_ROOT = process.getuid?.() === 0;
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP = !IS_ROOT ? 'needs root (tmpfs, network namespaces): skipping' : !have('ip', ['-V']) || !have('tcpreplay', ['-V']) ? 'iproute2 or tcpreplay missing: skipping' : false;
const CRASH = /\n\s+at |Unhandled|internal error|uncaught/i;

const mounts: Mount[] = [];
const veths: VethNamespace[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (let i = 0; i < 50 && children.size > 0; i++) await sleep(100);
  for (const m of mounts) m.release();
  for (const v of veths) v.destroy();
});

test('a SIGTERM while the daemon stops because an output failed: the stop goes on, exit 5 with the output\'s line, the run failed with every row committed', { skip: SKIP, timeout: 120_000 }, async () => {
  const m = mountTmpfs(64);
  if (typeof m === 'string') return;
  mounts.push(m);
  const veth = new VethNamespace();
  veths.push(veth);
  veth.create();
  const dir = tempDir('fault-stop');
  const db = path.join(dir, 'anomalies.db');
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, [
    `interfaces:\n  - name: ${veth.host}`, `model: {dir: ${DEFAULT_MODEL}}`,
    `outputs:\n  sqlite: ${db}\n  csv: {path: ${path.join(m.dir, 'anomalies.csv')}}`,
    'alerts: {maxRowsPerIncident: 1000000, maxRowsPerSourcePerMinute: 1000000}',
    'logging: {level: info, format: text}', `metrics: {listen: "127.0.0.1:${port}"}`, `stateDir: ${path.join(dir, 'state')}`, 'user: root',
  ].join('\n') + '\n');
  const d = new DaemonProcess(config, port);
  await d.waitReady(60_000);
  // A flood the shipped model flags nearly all of: the CSV's 64 KiB fill within a second.
  const sender = spawn('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-i', veth.peer, '--pps', '8000', '--loop', '60', SAMPLE], { stdio: 'ignore' });
  try {
    await d.waitLog(/an output failed: stopping capture/, 60_000);
    d.signal('SIGTERM'); // systemctl stop, while the daemon is stopping by itself
    const timer = setTimeout(() => d.signal('SIGKILL'), 60_000);
    const { code } = await d.exited;
    clearTimeout(timer);
    assert.equal(code, 5, d.log);
    assert.doesNotMatch(d.log, CRASH);
    const errorLines = d.log.split('\n').filter((l) => l.startsWith('lln-detect:'));
    assert.equal(errorLines.length, 1, d.log);
    assert.match(errorLines[0]!, /^lln-detect: LLN_E_OUTPUT: .*anomalies\.csv/);
    assert.match(d.log, /SIGTERM: already stopping \(an output failed\); a second signal ends the process at once/);
    const stop = /daemon stopped: captured (\d+), packets (\d+),.*? anomalies (\d+), incidents \d+.*status failed/.exec(d.log);
    assert.ok(stop, d.log);
    const sqlite = new Database(db, { readonly: true });
    const run = sqlite.prepare("SELECT id, status, packets, anomalies FROM runs WHERE mode = 'daemon'").get() as { id: number; status: string; packets: number; anomalies: number };
    const rows = (sqlite.prepare('SELECT COUNT(*) AS c FROM anomalies WHERE run_id = ?').get(run.id) as { c: number }).c;
    sqlite.close();
    assert.equal(run.status, 'failed');
    assert.equal(run.packets, Number(stop[1]), 'every captured packet was committed');
    assert.equal(run.anomalies, rows);
    assert.equal(rows, Number(stop[3]), 'the database holds every anomaly the stop line counts');
  } finally {
    sender.kill('SIGKILL');
  }
});
