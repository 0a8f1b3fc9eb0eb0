import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { readInterfaceCounters } from '../src/capture/interface-counters';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { forkTraining } from '../src/learn/learner';
import type { TrainingJob } from '../src/learn/training-job';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { DaemonProcess, VethNamespace, children, freePort, run, sentCount, sleep, writeConfig } from '../test/helpers/daemon-harness';

const SECONDS = Number(process.env.LLN_BENCH_DAEMON_SECONDS ?? 60);
const RATES = (process.env.LLN_BENCH_DAEMON_PPS ?? '20000,40000,50000,60000,70000,80000').split(',').map(Number);
/** After the ramp, one run well above the drop-free rate: the daemon's drop count must explain sent − captured. */
const OVERRUN_PPS = Number(process.env.LLN_BENCH_DAEMON_OVERRUN_PPS ?? 150_000);
const OVERRUN_SECONDS = Number(process.env.LLN_BENCH_DAEMON_OVERRUN_SECONDS ?? 15);
/**
 * Overload shedding, before/after: the overrun run this many times with `overload.shed: false`
 * and with shedding on (the default), interleaved (off, on, off, on, …) in one session. 0: the
 * overrun runs once, with the default config.
 */
const SHED_PAIRS = Number(process.env.LLN_BENCH_DAEMON_SHED_PAIRS ?? 2);
/** 0: skip the second ramp, with a background training running as the learning daemon runs one. */
const WITH_TRAINING = process.env.LLN_BENCH_DAEMON_TRAINING !== '0';

/**
 * A background training exactly as the learning daemon starts one (forkTraining: nice 19, one
 * thread, 1536 MB heap, the full default recipe), restarted whenever it finishes, so one is
 * running through the whole measurement.
 */
class BackgroundTraining {
  private child: ChildProcess | null = null;
  private stopped = false;
  trainings = 0;
  constructor(private readonly dir: string, private readonly pcap: string) {}
  start(): void {
    if (this.stopped) return;
    const work = path.join(this.dir, `train-${this.trainings}`);
    const job: TrainingJob = {
      reason: 'scheduled retraining', files: [this.pcap], out: path.join(work, 'model'), work: path.join(work, 'work'), holdOut: 0.2, maxFpr: 0.01, exclude: [], incidents: [],
      incidentMarginSeconds: 60, minRecallOnIncidents: 0.5, currentModel: DEFAULT_MODEL_DIR, currentThreshold: 0.9,
      training: { ...TRAINING_DEFAULTS, initModel: DEFAULT_MODEL_DIR }, nice: 19,
    };
    const jobFile = path.join(this.dir, `job-${this.trainings}.json`);
    writeFileSync(jobFile, JSON.stringify(job));
    this.trainings++;
    this.child = forkTraining(jobFile, 1536, 19);
    children.add(this.child);
    this.child.on('exit', () => {
      children.delete(this.child!);
      this.child = null;
      this.start();
    });
  }
  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGKILL');
  }
}

/** Sum of the per-CPU "dropped" column of /proc/net/softnet_stat: the kernel's input backlog (a veth's receive path). */
function backlogDrops(): number {
  try {
    return readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n').reduce((n, l) => n + parseInt(l.split(/\s+/)[1] ?? '0', 16), 0);
  } catch {
    return 0;
  }
}

export interface RateResult {
  sent: number; captured: number; droppedWindows: number; kernelRxDropped: number; peakRssMb: number;
  /** From the daemon's stop line: libpcap's counters and the intake queue. */
  pcapReceived: number; pcapDropped: number; pcapIfDropped: number; queueDropped: number;
  /** Below the sensor, for the record: the sending veth's tx_dropped and the kernel's backlog drops. */
  peerTxDropped: number; backlogDropped: number;
  /** Overload shedding, from the stop line (0 when nothing was shed): windows not scored, the largest stride. */
  shedWindows: number; shedMaxStride: number;
  /** The daemon's CPU time (all its threads, start-up included) when everything sent was accounted for. */
  cpuSeconds: number;
}

/** utime + stime of a process (all threads), in seconds; NaN when /proc is not there. */
function processCpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15, in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}

/** Hooks for variants (the fleet bench): prepare the database before start, edit the config file. */
export interface MeasureHooks {
  tag?: string;
  prepare?: (db: string) => void;
  configure?: (configFile: string, db: string) => void;
}

export async function measure(veth: VethNamespace, dir: string, pcap: string, pps: number, seconds: number, hooks: MeasureHooks = {}): Promise<RateResult> {
  const port = await freePort();
  const db = path.join(dir, `r${pps}${hooks.tag ?? ''}.db`);
  hooks.prepare?.(db);
  const config = writeConfig(path.join(dir, `c${pps}${hooks.tag ?? ''}.yaml`), { iface: veth.host, model: DEFAULT_MODEL_DIR, port, db });
  hooks.configure?.(config, db);
  const daemon = new DaemonProcess(config, port);
  await daemon.waitReady(60_000);
  const peerTx = () => Number(run('ip', ['netns', 'exec', veth.ns, 'cat', `/sys/class/net/${veth.peer}/statistics/tx_dropped`]).stdout.trim() || 0);
  const before = readInterfaceCounters(veth.host);
  const peerBefore = peerTx();
  const backlogBefore = backlogDrops();
  // Sleep-timed bursts, one per millisecond: tcpreplay's default busy-wait timing burns a whole
  // core (measured: 5 CPU-s per 5 s at 40k pps), which on a 2-core machine is half the box.
  const perMs = String(Math.max(1, Math.round(pps / 1000)));
  const r = run('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-T', 'nano', '--pps-multi', perMs, '-i', veth.peer, '--pps', String(pps),
    '--loop', '0', '--duration', String(seconds), pcap], (seconds + 30) * 1000);
  const sent = sentCount(r.stdout);
  // Until everything sent is either captured or counted lost, so the stop line is the whole account.
  const end = Date.now() + 30_000;
  const lbl = `interface="${veth.host}"`;
  for (;;) {
    const m = await daemon.metrics(lbl);
    if (m('lln_capture_pcap_received_total') >= sent || Date.now() > end) break;
    await sleep(200);
  }
  const after = readInterfaceCounters(veth.host);
  const rss = daemon.peakRssMb();
  const cpuSeconds = processCpuSeconds(daemon.pid);
  const { final } = await daemon.stop(120_000);
  const loss = /libpcap ring (\d+), interface (\d+), intake queue (\d+); libpcap received (\d+)/.exec(daemon.log);
  const shed = /shed windows (\d+) \(packets in no scored window \d+, stride up to (\d+)\)/.exec(daemon.log);
  if (!loss) throw new Error(`daemon bench: no capture-loss account in the stop line (cap not patched?):\n${daemon.log.slice(-2000)}`);
  return {
    sent, captured: Number(final[1]), droppedWindows: Number(final[5]), kernelRxDropped: (after?.rxDropped ?? 0) - (before?.rxDropped ?? 0), peakRssMb: rss,
    pcapDropped: Number(loss[1]), pcapIfDropped: Number(loss[2]), queueDropped: Number(loss[3]), pcapReceived: Number(loss[4]),
    peerTxDropped: peerTx() - peerBefore, backlogDropped: backlogDrops() - backlogBefore,
    shedWindows: Number(shed?.[1] ?? 0), shedMaxStride: Number(shed?.[2] ?? 0), cpuSeconds,
  };
}

/**
 * The daemon on a veth pair (peer in a network namespace made here; traffic never leaves the
 * machine), fed by tcpreplay at increasing --pps for SECONDS each, in 1 ms bursts. Reports, per
 * rate, packets sent vs captured, the daemon's own loss counters (libpcap ring, interface,
 * intake queue), kernel drops and dropped windows, and the highest rate with no loss of any
 * kind; then one overrun (OVERRUN_PPS) where sent − captured must equal the daemon's drop count
 * (agreement reported as a fraction of sent − captured). Needs root, iproute2 and tcpreplay.
 */
export async function runDaemonBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-daemon-bench-'));
  const pcap = path.join(dir, 'lan.pcap');
  await generateCapture({ out: pcap, seed: 21, durationSec: 600, hosts: 60, packetsTarget: 200_000 });
  const out: Record<string, number> = { seconds_per_rate: SECONDS };
  let best = 0;
  const veth = new VethNamespace();
  const report = (key: string, x: RateResult): void => {
    const daemonLost = x.pcapDropped + x.pcapIfDropped + x.queueDropped;
    const missing = x.sent - x.captured;
    out[`${key}_sent`] = x.sent;
    out[`${key}_captured`] = x.captured;
    out[`${key}_sent_minus_captured`] = missing;
    out[`${key}_daemon_lost`] = daemonLost;
    out[`${key}_pcap_received`] = x.pcapReceived;
    out[`${key}_pcap_dropped`] = x.pcapDropped;
    out[`${key}_pcap_ifdropped`] = x.pcapIfDropped;
    out[`${key}_queue_dropped`] = x.queueDropped;
    out[`${key}_dropped_windows`] = x.droppedWindows;
    out[`${key}_kernel_rx_dropped`] = x.kernelRxDropped;
    out[`${key}_peer_tx_dropped`] = x.peerTxDropped;
    out[`${key}_backlog_dropped`] = x.backlogDropped;
    out[`${key}_peak_rss_mb`] = x.peakRssMb;
    out[`${key}_shed_windows`] = x.shedWindows;
    out[`${key}_cpu_seconds`] = x.cpuSeconds;
    // 0 when the daemon's count explains every missing packet; the target is at most 0.01.
    if (missing > 0) out[`${key}_disagreement`] = Math.abs(missing - daemonLost) / missing;
    process.stderr.write(`${key}: sent ${x.sent}, captured ${x.captured}, sent − captured ${missing}, daemon lost ${daemonLost} ` +
      `(libpcap ring ${x.pcapDropped}, interface ${x.pcapIfDropped}, queue ${x.queueDropped}; libpcap received ${x.pcapReceived}), ` +
      `dropped windows ${x.droppedWindows}, shed windows ${x.shedWindows}${x.shedMaxStride ? ` (stride up to ${x.shedMaxStride})` : ''}, kernel rx_dropped ${x.kernelRxDropped}, peer tx_dropped ${x.peerTxDropped}, backlog drops ${x.backlogDropped}, ` +
      `peak RSS ${x.peakRssMb.toFixed(0)} MB, CPU ${x.cpuSeconds.toFixed(1)} s\n`);
  };
  try {
    // A standard 1500-byte MTU, as on a LAN. libpcap's ring slots (TPACKET_V2 in immediate mode)
    // are sized by the snaplen: 128 MiB holds ~227k packets at the default 512, ~14k at 9216
    // (`npm run bench -- ring`).
    veth.create(1500);
    for (const pps of RATES) {
      const x = await measure(veth, dir, pcap, pps, SECONDS);
      report(`pps${pps}`, x);
      const lossless = x.captured >= x.sent && x.droppedWindows === 0 && x.kernelRxDropped === 0 && x.pcapDropped + x.pcapIfDropped + x.queueDropped === 0;
      if (lossless) best = pps;
      else break;
    }
    if (WITH_TRAINING) {
      // The same ramp while a training runs: the drop-free rate a learning sensor keeps. The
      // training reads a spool-sized slice of the same traffic (the generated LAN, 600 s).
      const training = new BackgroundTraining(dir, pcap);
      training.start();
      let bestTraining = 0;
      try {
        await sleep(5000); // past the child's start-up, into feature building and epochs
        for (const pps of RATES) {
          const x = await measure(veth, dir, pcap, pps, SECONDS);
          report(`training_pps${pps}`, x);
          const lossless = x.captured >= x.sent && x.droppedWindows === 0 && x.kernelRxDropped === 0 && x.pcapDropped + x.pcapIfDropped + x.queueDropped === 0;
          if (lossless) bestTraining = pps;
          else break;
        }
      } finally {
        training.stop();
      }
      out.highest_lossless_pps_while_training = bestTraining;
      out.trainings_started = training.trainings;
    }
    if (OVERRUN_PPS > 0) {
      out.overrun_seconds = OVERRUN_SECONDS;
      if (SHED_PAIRS <= 0) report(`overrun${OVERRUN_PPS}`, await measure(veth, dir, pcap, OVERRUN_PPS, OVERRUN_SECONDS));
      // Shedding off and on, interleaved, so both see the same machine: the share of what was
      // sent that the daemon lost (libpcap ring + intake queue), and what it captured a second.
      const lostShare: Record<'noshed' | 'shed', number[]> = { noshed: [], shed: [] };
      const capturedPerS: Record<'noshed' | 'shed', number[]> = { noshed: [], shed: [] };
      // Captured packets per CPU-second of the daemon: what each costs, less dependent on what else the machine runs.
      const perCpuS: Record<'noshed' | 'shed', number[]> = { noshed: [], shed: [] };
      const noShed: MeasureHooks = { tag: 'noshed', configure: (file) => writeFileSync(file, readFileSync(file, 'utf8') + 'overload:\n  shed: false\n') };
      for (let i = 1; i <= SHED_PAIRS; i++) {
        for (const v of ['noshed', 'shed'] as const) {
          const x = await measure(veth, dir, pcap, OVERRUN_PPS, OVERRUN_SECONDS, v === 'noshed' ? { ...noShed, tag: `noshed${i}` } : { tag: `shed${i}` });
          report(`overrun${OVERRUN_PPS}_${v}_${i}`, x);
          lostShare[v].push((x.pcapDropped + x.pcapIfDropped + x.queueDropped) / Math.max(1, x.sent));
          capturedPerS[v].push(x.captured / OVERRUN_SECONDS);
          perCpuS[v].push(x.captured / x.cpuSeconds);
        }
      }
      if (SHED_PAIRS > 0) {
        for (const v of ['noshed', 'shed'] as const) {
          out[`overrun_${v}_lost_share_median`] = median(lostShare[v]);
          out[`overrun_${v}_captured_per_s_median`] = median(capturedPerS[v]);
          out[`overrun_${v}_captured_per_cpu_s_median`] = median(perCpuS[v]);
        }
      }
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    veth.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  out.highest_lossless_pps = best;
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (require.main === module) {
  runDaemonBench().then((r) => console.log(JSON.stringify(r)));
}
