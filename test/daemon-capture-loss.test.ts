import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateCapture } from '../src/generator/generate-capture';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { children, DaemonProcess, VethNamespace, freePort, must, run, sentCount, sleep, writeConfig } from './helpers/daemon-harness';

/**
 * The daemon knows when it is blind: a real libpcap capture on a veth pair (peer in a network
 * namespace made here) with a 64 KiB kernel ring, about 30 packets. Traffic sent while the
 * daemon is SIGSTOPped cannot be read, so all but a ring's worth is dropped by the kernel, every
 * time, whatever the machine's load: no timing is involved. libpcap's counters must then show
 * the drops on /metrics, in the log, in the stop line and in the run row, and account for every
 * packet sent: captured + lost = sent, also across a reopen of the capture (link down and up).
 */
const IS_ROOT = process.getuid?.() === 0;
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP = !IS_ROOT ? 'needs root for network namespaces: skipping' : !have('ip', ['-V']) || !have('tcpreplay', ['-V']) ? 'iproute2 or tcpreplay missing: skipping' : false;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-loss-'));
const veth = new VethNamespace();

after(() => {
  for (const c of children) c.kill('SIGKILL');
  veth.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

/** Send the first `count` packets of `file` into the peer; returns how many tcpreplay sent. */
function send(file: string, count: number, pps: number): number {
  const r = run('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-i', veth.peer, '--pps', String(pps), '--limit', String(count), file], 60_000);
  assert.equal(r.status, 0, `tcpreplay failed: ${r.stderr}`);
  return sentCount(r.stdout);
}

/** Poll /metrics until `done` holds for one scrape (bounded: captures arrive asynchronously). */
async function metricsUntil(d: DaemonProcess, iface: string, done: (m: (n: string) => number) => boolean, what: string): Promise<(n: string) => number> {
  const end = Date.now() + 30_000;
  let m = await d.metrics(`interface="${iface}"`);
  while (!done(m)) {
    if (Date.now() > end) assert.fail(`${what} not reached within 30 s:\n${d.log}`);
    await sleep(100);
    m = await d.metrics(`interface="${iface}"`);
  }
  return m;
}

const received = (m: (n: string) => number) => m('lln_capture_pcap_received_total');
const lost = (m: (n: string) => number) => m('lln_capture_pcap_dropped_total') + m('lln_capture_pcap_ifdropped_total') + m('lln_capture_queue_drops_total');

let pcap = '';
before(async () => {
  if (SKIP) return;
  const { Cap } = require('cap') as { Cap: { prototype: Record<string, unknown> } };
  assert.equal(typeof Cap.prototype.stats, 'function', 'the installed cap has no stats(): run bash scripts/patch-cap.sh (npm ci runs it)');
  pcap = path.join(tmp, 'lan.pcap');
  await generateCapture({ out: pcap, seed: 12, durationSec: 60, hosts: 10, packetsTarget: 3000 });
  veth.create(1500);
});

test('libpcap drop counters: /metrics, the warning, the stop line and the run row account for every packet sent', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const db = path.join(tmp, 'loss.db');
  const port = await freePort();
  const config = writeConfig(path.join(tmp, 'config.yaml'), { iface: veth.host, model: DEFAULT_MODEL_DIR, port, db, bufferSize: 65536 });
  const daemon = new DaemonProcess(config, port);
  await daemon.waitReady(60_000);
  const iface = veth.host;

  // Traffic the daemon can read: libpcap's counters move (whether or not the small ring drops some).
  let sent = send(pcap, 200, 1000);
  let m = await metricsUntil(daemon, iface, (x) => received(x) >= sent, `lln_capture_pcap_received_total ≥ ${sent}`);
  assert.equal(received(m), sent, 'libpcap received exactly what was sent');

  // Overrun: nothing reads the ring while the daemon is stopped.
  await daemon.pause();
  sent += send(pcap, 2000, 5000);
  daemon.signal('SIGCONT');
  m = await metricsUntil(daemon, iface, (x) => received(x) >= sent && x('lln_packets_captured_total') + lost(x) >= sent, 'every sent packet captured or counted lost');
  assert.equal(received(m), sent);
  assert.ok(m('lln_capture_pcap_dropped_total') > 1000, `the 64 KiB ring dropped most of 2000 packets (dropped ${m('lln_capture_pcap_dropped_total')})`);
  assert.equal(m('lln_packets_captured_total') + lost(m), sent, 'captured + lost = sent');
  await daemon.waitLog(/capture on \S+ is losing packets: [\d,]+ lost \(libpcap ring [\d,]+, interface \d+, intake queue \d+\)/);

  // The interface goes down and comes back: the new capture handle's counters start at 0, the totals go on.
  must('ip', ['link', 'set', iface, 'down']);
  await metricsUntil(daemon, iface, (x) => x('lln_capture_up') === 0, 'lln_capture_up 0 after link down');
  must('ip', ['link', 'set', iface, 'up']);
  await metricsUntil(daemon, iface, (x) => x('lln_capture_up') === 1, 'lln_capture_up 1 after link up');
  const beforeReopen = received(m);
  sent += send(pcap, 100, 1000);
  m = await metricsUntil(daemon, iface, (x) => received(x) >= sent, `lln_capture_pcap_received_total ≥ ${sent} after the reopen`);
  assert.equal(received(m), beforeReopen + 100, 'received counts on across the reopen');

  const { code } = await daemon.stop(60_000);
  assert.equal(code, 0, daemon.log);
  const line = /captured (\d+), .*lost in capture (\d+) \(libpcap ring (\d+), interface (\d+), intake queue (\d+); libpcap received (\d+)\)/.exec(daemon.log);
  assert.ok(line, `no capture-loss account in the stop line:\n${daemon.log}`);
  const [captured, total, ring, ifd, queue, recv] = line.slice(1).map(Number);
  assert.equal(recv, sent);
  assert.equal(captured + total, sent, 'stop line: captured + lost = sent');
  assert.equal(total, ring + ifd + queue);
  t.diagnostic(`sent ${sent}, captured ${captured}, libpcap received ${recv}, ring dropped ${ring}, interface dropped ${ifd}, queue dropped ${queue}`);

  const d = new Database(db, { readonly: true });
  try {
    const row = d.prepare('SELECT packets, pcap_received, pcap_dropped, pcap_ifdropped, queue_dropped, status FROM runs WHERE mode = ?').get('daemon');
    assert.deepEqual(row, { packets: captured, pcap_received: recv, pcap_dropped: ring, pcap_ifdropped: ifd, queue_dropped: queue, status: 'finished' });
  } finally {
    d.close();
  }
});
