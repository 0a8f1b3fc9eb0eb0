import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateCapture } from '../src/generator/generate-capture';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { CpuBudget } from './helpers/cpu-budget';
import { children, DaemonProcess, VethNamespace, freePort, run, sentCount, sleep, writeConfig } from './helpers/daemon-harness';

/**
 * Overload degrades, it does not blind (issue 32). Two real daemons (real libpcap, the shipped
 * tfjs model) capture the same veth at the same time, one with `overload.shed: false`, one with
 * shedding on (the default), both at `window.stride: 8`, each in a cgroup with the same CPU
 * budget (0.7 of a core), as a sensor has its cores and not the machine. After a warm-up within
 * capacity, tcpreplay sends more than either can take.
 *
 * Side by side, not one after the other, and with equal budgets: both see the same packets at the
 * same moments, and the machine's other load (other tests, other sessions) falls on both alike,
 * so which loses more depends on what each does with its budget, not on when it ran. Without
 * budgets the scheduler shares the cores per thread, and the daemon whose scoring worker keeps
 * working gets more of the machine than the one whose worker idles: the comparison would be
 * about the per-packet work of the main threads alone (measured: a coin toss). The one that
 * sheds must raise its level (one warning, and one line when it is over), count it on /metrics
 * and in its run row, score every packet it captured, and capture more packets per CPU-second
 * than the one that does not; both must account for every packet. The packets each lost are
 * reported (see below why not asserted).
 */
const IS_ROOT = process.getuid?.() === 0;
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP = !IS_ROOT ? 'needs root for network namespaces: skipping' : !have('ip', ['-V']) || !have('tcpreplay', ['-V']) ? 'iproute2 or tcpreplay missing: skipping' : false;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-shed-'));
const veth = new VethNamespace();
const BUDGETS = CpuBudget.available();
const budgets: CpuBudget[] = [];

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sleep(200);
  for (const b of budgets) await b.destroy();
  veth.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

let pcap = '';
before(async () => {
  if (SKIP) return;
  pcap = path.join(tmp, 'lan.pcap');
  await generateCapture({ out: pcap, seed: 21, durationSec: 120, hosts: 30, packetsTarget: 40_000 });
  veth.create(1500);
});

/**
 * Stride 8: twice the model work of the default (16), what a config asking for finer resolution
 * gets; the worker without shedding keeps up (few or no windows dropped), so both daemons score
 * and alert on what they capture, and what differs is the worker's share of the budget. (At
 * stride 1-4 the worker without shedding drops whole batches, whose packets then skip the alert
 * stage: cheaper than scoring them, and the comparison gets close; at the default 16 the model's
 * share is small.) 60k packets/s for 4 s: without shedding 75-82k of 240k lost, with shedding
 * 27-40k (three runs, load 3-4).
 */
const STRIDE = 8;
const PPS = 60_000;
/** Each daemon's CPU budget (a cgroup's quota): 0.7 of a core each, 1.4 of the machine's two, the rest for tcpreplay. */
const CPUS = 0.7;

/** libpcap's ring: 8 MiB of 256-byte packets, ~16k slots (~0.15 s at the rate sent). */
const RING_BYTES = 8 * 1024 * 1024;

/** An unlabelled series from one scrape (the harness's lookup is for labelled ones). */
async function metricOf(d: DaemonProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} is on /metrics`);
  return Number(m[1]);
}

/** A process's CPU time so far (all threads), in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The main thread's time waiting for a CPU while runnable, in seconds (schedstat's second field). */
function mainThreadWaitSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

const lostOf = (m: (n: string) => number) => m('lln_capture_pcap_dropped_total') + m('lln_capture_pcap_ifdropped_total') + m('lln_capture_queue_drops_total');

interface Side { name: 'off' | 'on'; daemon: DaemonProcess; db: string }

async function startSide(name: 'off' | 'on'): Promise<Side> {
  const port = await freePort();
  const db = path.join(tmp, `${name}.db`);
  const config = writeConfig(path.join(tmp, `${name}.yaml`), { iface: veth.host, model: DEFAULT_MODEL_DIR, port, db, bufferSize: RING_BYTES });
  // Small ring slots: libpcap's ring then rides out the moments either daemon waits for a core
  // (two daemons, a busy scoring worker and tcpreplay on two cores), so what is lost is what a
  // daemon could not process, turned away at its intake queue.
  const text = readFileSync(config, 'utf8').replace(`- name: ${veth.host}\n`, `- name: ${veth.host}\n    snaplen: 256\n`);
  writeFileSync(config, `${text}window:\n  stride: ${STRIDE}\noverload:\n  shed: ${name === 'on'}\n`);
  const daemon = new DaemonProcess(config, port);
  if (BUDGETS.ok) {
    const budget = new CpuBudget(CPUS);
    budgets.push(budget);
    budget.add(daemon.pid); // before its scoring worker starts; the worker's thread stays in it
  }
  return { name, daemon, db };
}

test('under overload the daemon sheds model work (level up, counted, logged once, over once), every packet scored, each packet cheaper than without shedding', { skip: SKIP, timeout: 180_000 }, async (t) => {
  const sides = await Promise.all([startSide('off'), startSide('on')]);
  const [off, on] = sides;
  await Promise.all(sides.map((s) => s.daemon.waitReady(90_000)));
  const lbl = `interface="${veth.host}"`;

  // Warm-up within capacity: the first packets after start run through cold code (the daemon's
  // first second of traffic costs a backlog of its own); both must be past that, and idle again,
  // before the overload.
  const warm = run('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-i', veth.peer, '--pps', '10000', '--limit', '20000', pcap], 60_000);
  assert.equal(warm.status, 0, `tcpreplay failed: ${warm.stderr}`);
  const warmSent = sentCount(warm.stdout);
  for (const s of sides) {
    const end = Date.now() + 60_000;
    while ((await s.daemon.metric('lln_packets_captured_total', lbl)) + lostOf(await s.daemon.metrics(lbl)) < warmSent && Date.now() < end) await sleep(200);
  }
  await sleep(1000);
  const before = new Map<Side, { captured: number; lost: number; cpu: number; wait: number }>();
  for (const s of sides) {
    const m = await s.daemon.metrics(lbl);
    before.set(s, { captured: m('lln_packets_captured_total'), lost: lostOf(m), cpu: cpuSeconds(s.daemon.pid), wait: mainThreadWaitSeconds(s.daemon.pid) });
  }

  // 4 s at 60k packets/s (1 ms bursts, as the daemon bench sends): beyond either daemon here.
  const r = run('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-T', 'nano', '--pps-multi', String(PPS / 1000), '-i', veth.peer, '--pps', String(PPS),
    '--loop', '0', '--duration', '4', pcap], 60_000);
  assert.equal(r.status, 0, `tcpreplay failed: ${r.stderr}`);
  const sent = sentCount(r.stdout);

  // Until each has captured or counted lost everything sent (bounded: it works through its backlog).
  const result = new Map<Side, { captured: number; lost: number }>();
  for (const s of sides) {
    const end = Date.now() + 60_000;
    let m = await s.daemon.metrics(lbl);
    const b0 = before.get(s)!;
    while (m('lln_packets_captured_total') + lostOf(m) - b0.captured - b0.lost < sent && Date.now() < end) {
      await sleep(250);
      m = await s.daemon.metrics(lbl);
    }
    result.set(s, { captured: m('lln_packets_captured_total') - b0.captured, lost: lostOf(m) - b0.lost });
    assert.equal(m('lln_packets_captured_total') + lostOf(m), warmSent + sent, `${s.name}: captured + lost = sent`);
  }
  const a = result.get(off)!, b = result.get(on)!;
  t.diagnostic(`sent ${sent}; shedding off: captured ${a.captured}, lost ${a.lost}; shedding on: captured ${b.captured}, lost ${b.lost}`);
  // The premise: this was an overload. On a machine busy enough that tcpreplay cannot send at
  // the rate (other tests, other sessions), neither daemon is overloaded and there is nothing
  // to show: the daemon without shedding must have lost at least 5% of what was sent.
  if (a.lost < 0.05 * sent) {
    t.diagnostic(`without shedding only ${a.lost} of ${sent} lost: no overload on this machine now (tcpreplay sent ${Math.round(sent / 4)}/s of ${PPS}/s); nothing compared`);
    return;
  }

  // The shedding side: counted on /metrics, said once.
  await sleep(1500); // the counters move on the daemon's 1-s tick
  assert.ok(await metricOf(on.daemon, 'lln_windows_shed_total') > 0, 'lln_windows_shed_total counts the windows not scored');
  assert.ok(await metricOf(on.daemon, 'lln_packets_shed_total') > 0, 'packets in no scored window are counted');
  assert.ok(await metricOf(on.daemon, 'lln_shed_seconds_total') > 0);
  const warnings = on.daemon.log.match(/overload: the pipeline is falling behind \([\d,]+ packets waiting, \d+ of 8 window batches in flight\); shedding model work instead of losing packets: scoring one window in \d+ \(stride \d+ → \d+\)/g) ?? [];
  assert.equal(warnings.length, 1, `one warning for the overload:\n${on.daemon.log}`);
  // Traffic over: the level comes down, and one line says so.
  const over = on.daemon.waitLog(/overload over: scoring every window again \(stride \d+\) for 5 s; shedding lasted [\d.]+ s, up to one window in (\d+) \(stride \d+\): [\d,]+ windows not scored, [\d,]+ packets in no scored window/, 60_000);
  await over;
  // What each spent on the overload and what follows it (both are idle by now): CPU-seconds.
  const cpu = new Map(sides.map((s) => [s, cpuSeconds(s.daemon.pid) - before.get(s)!.cpu]));
  const wait = new Map(sides.map((s) => [s, mainThreadWaitSeconds(s.daemon.pid) - before.get(s)!.wait]));
  assert.equal(await metricOf(on.daemon, 'lln_shed_level'), 0);
  assert.equal(await metricOf(on.daemon, 'lln_shed_stride'), STRIDE);
  // The side with shedding off never sheds.
  assert.equal(await metricOf(off.daemon, 'lln_windows_shed_total'), 0);
  assert.equal(await metricOf(off.daemon, 'lln_shed_level'), 0);
  assert.doesNotMatch(off.daemon.log, /overload/);

  // What this is for: the model's work was given up, not the packets. Each packet costs less
  // while shedding: more captured per CPU-second of the daemon (all its threads).
  const perCpuA = a.captured / cpu.get(off)!, perCpuB = b.captured / cpu.get(on)!;
  t.diagnostic(`CPU-seconds: off ${cpu.get(off)!.toFixed(2)} (${Math.round(perCpuA)} packets each), on ${cpu.get(on)!.toFixed(2)} (${Math.round(perCpuB)})`);
  assert.ok(perCpuB > perCpuA, `shedding captures more per CPU-second: ${Math.round(perCpuB)} against ${Math.round(perCpuA)}`);
  if (!BUDGETS.ok) t.diagnostic(`no equal CPU budgets (${BUDGETS.why}): the daemons shared the machine per thread`);
  // Fewer packets lost: what shedding is for, and what the bench measures (docs/performance.md,
  // "Overload shedding": interleaved pairs, a smaller loss in 4 of 5). In one run side by side it
  // came out either way while other tests ran beside this one (fewer in 8 of 11 runs; the three
  // others with the shedding daemon still more efficient per CPU-second and, where measured,
  // waiting less for a CPU: the scheduler's share of each budget decided, not the work), so it is reported here, not
  // asserted; the cost of a packet, which decides it on a sensor's own cores, is asserted above.
  t.diagnostic(`main threads waiting for a CPU: off ${wait.get(off)!.toFixed(2)} s, on ${wait.get(on)!.toFixed(2)} s; lost: off ${a.lost}, on ${b.lost}${b.lost < a.lost ? '' : ' (more with shedding this time)'}`);

  for (const s of sides) {
    const { code, final } = await s.daemon.stop(60_000);
    assert.equal(code, 0, s.daemon.log);
    assert.equal(Number(final[1]), Number(final[2]), `${s.name}: every captured packet committed`);
    if (s === on) assert.equal(Number(final[3]), Number(final[2]), 'every packet has a score (in no scored window: the nearest one\'s)');
    else t.diagnostic(`shedding off: ${Number(final[2]) - Number(final[3])} of ${final[2]} packets without a score (${final[5]} windows dropped)`);
  }
  assert.match(on.daemon.log, /dropped windows \d+, shed windows [1-9]\d* \(packets in no scored window [1-9]\d*, stride up to \d+\), lost in capture/);
  assert.equal(on.daemon.log.match(/overload: the pipeline is falling behind/g)?.length, 1, 'still one warning at the end');

  const rows = sides.map((s) => {
    const d = new Database(s.db, { readonly: true });
    try {
      return d.prepare('SELECT packets, windows_shed, packets_shed, shed_seconds, shed_max_level, pcap_dropped + queue_dropped AS lost FROM runs WHERE mode = ?').get('daemon') as Record<string, number>;
    } finally {
      d.close();
    }
  });
  assert.deepEqual({ ...rows[0], packets: 0, lost: 0 }, { packets: 0, windows_shed: 0, packets_shed: 0, shed_seconds: 0, shed_max_level: 0, lost: 0 }, 'shedding off: the run row counts none');
  assert.ok(rows[1].windows_shed > 0 && rows[1].packets_shed > 0 && rows[1].shed_seconds > 0 && rows[1].shed_max_level >= 1, `the run row counts the shedding: ${JSON.stringify(rows[1])}`);
  assert.equal(rows[0].lost, a.lost + before.get(off)!.lost);
  assert.equal(rows[1].lost, b.lost + before.get(on)!.lost);
});
