/**
 * Fault runs against the real daemon (issue 31): `lln-detect daemon` started many times as a child
 * process, scoring committed samples dropped into its spool folder and, where the machine allows,
 * live traffic tcpreplay sends into a veth pair, with one fault injected at random per run:
 *
 * - a full disk under the state directory (a real 1 MiB tmpfs, learning on: the training spool
 *   fills it) or under the alerts database (a tmpfs filled to a random few hundred KiB free);
 * - SIGHUP after each kind of broken model was swapped into model.dir (weights all-NaN, all-0xFF,
 *   truncated; threshold.json -0.2 / 1.7; scaler std 0 / null / renamed features), then spool
 *   files dropped after it; or the daemon started on such a model;
 * - a broken own model in the learning store (learn-state.json names it current), or `lln-detect
 *   model rollback` to a broken previous own model while the daemon runs;
 * - SIGTERM at a random moment: during start-up, while a spool file is being scored, while a
 *   training waits for its verdicts or runs in its child process.
 *
 * After every run: it ended by itself (no hang) with a documented exit code, at most one
 * `lln-detect:` line, no stack trace, no child process left behind, no run row left `running`,
 * every run row counting what its tables hold, the stop line's anomalies = the rows in the
 * database, and no alert lost: every spool file the daemon recorded as processed has a finished
 * run whose rows equal a clean `replay` of the same file (same model, same alert limits), and the
 * live run's packets equal what it captured. Seeded: the seed and run number reproduce a case.
 * Everything it makes (temp dirs, tmpfs mounts, veth pairs, namespaces) is removed at the end.
 *
 *   npm run fuzz:daemon -- [--runs 300] [--minutes 60] [--seed 1] [--jobs 2] [--only KIND] [--first N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateCapture } from '../src/generator/generate-capture';
import { PACKAGE_ROOT } from '../src/paths';
import { SeededRandom } from '../src/seeded-random';
import { editJson, editWeights } from '../test/helpers/model-edits';
import { fillLeaving } from '../test/helpers/mounts';

const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');
const DEFAULT_MODEL = path.join(PACKAGE_ROOT, 'models', 'default');
const SAMPLES = ['lan-portscan.pcap', 'lan-dnsshell.pcap', 'lan-benign.pcap'].map((f) => path.join(PACKAGE_ROOT, 'samples', f));
/** Documented exit codes (README "Exit codes"). */
const DOCUMENTED = new Set([0, 2, 3, 4, 5, 6, 7, 130]);
const CRASH = /\n\s+at |Unhandled|internal error|uncaught/i;
const IS_ROOT = process.getuid?.() === 0;

const FAULTS = ['none', 'state-full', 'db-full', 'hup-broken', 'start-broken', 'store-broken', 'rollback-broken', 'term-random', 'term-spool', 'term-training'] as const;
type Fault = (typeof FAULTS)[number];
const BROKEN = ['weights-nan', 'weights-ff', 'weights-truncated', 'threshold-neg', 'threshold-high', 'std-0', 'std-null', 'names-renamed'] as const;
type Broken = (typeof BROKEN)[number];

interface Args {
  runs: number;
  minutes: number;
  seed: number;
  jobs: number;
  only: string;
  /** The first run number (with --seed, reproduces a reported run: --first 89 --runs 90). */
  first: number;
  /** Seconds a daemon gets to end after SIGTERM before it counts as hung (the unit allows 30). */
  stopSeconds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 300, minutes: 60, seed: 1, jobs: 2, only: '', first: 0, stopSeconds: 60 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!.replace(/^--/, '') as keyof Args;
    if (!(k in a)) throw new Error(`unknown option ${argv[i]}`);
    const v = argv[++i]!;
    (a as unknown as Record<string, unknown>)[k] = typeof a[k] === 'number' ? Number(v) : v;
  }
  return a;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
function must(cmd: string, args: string[]): void {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

// ---- the world: broken models, baselines, veth pairs -------------------------------------------

interface Baseline { rows: number; incidents: number; packets: number }
interface World {
  root: string;
  broken: Map<Broken, string>;
  /** A generated capture of 20k packets: long enough to be scoring when a SIGTERM comes. */
  big: string;
  baseline: Map<string, Baseline>;
  veths: Veth[];
  canMount: boolean;
}

class Veth {
  readonly ns: string;
  readonly host: string;
  readonly peer: string;
  constructor(n: number) {
    const tag = `${process.pid % 10000}${n}`;
    this.ns = `lln-fz-${tag}`;
    this.host = `lfz${tag}a`;
    this.peer = `lfz${tag}b`;
  }
  create(): void {
    must('ip', ['netns', 'add', this.ns]);
    must('ip', ['link', 'add', this.host, 'type', 'veth', 'peer', 'name', this.peer, 'netns', this.ns]);
    must('sysctl', ['-q', '-w', `net.ipv6.conf.${this.host}.disable_ipv6=1`]);
    must('ip', ['netns', 'exec', this.ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${this.peer}.disable_ipv6=1`]);
    must('ip', ['link', 'set', this.host, 'mtu', '9000', 'up']);
    must('ip', ['-n', this.ns, 'link', 'set', this.peer, 'mtu', '9000', 'up']);
  }
  destroy(): void {
    sh('ip', ['netns', 'del', this.ns]);
    sh('ip', ['link', 'del', this.host]);
  }
  send(file: string, pps: number, loops: number): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns, 'tcpreplay', '-q', '-i', this.peer, '--pps', String(pps), '--loop', String(loops), file], { stdio: 'ignore' });
  }
}

/** The broken-model makers of test/model-validation.test.ts, plus a weights.bin cut short. */
const CORRUPT: Record<Broken, (dir: string) => void> = {
  'weights-nan': (d) => editWeights(d, (w) => w.fill(NaN)),
  'weights-ff': (d) => writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(statSync(path.join(d, 'weights.bin')).size, 0xff)),
  'weights-truncated': (d) => truncateSync(path.join(d, 'weights.bin'), Math.floor(statSync(path.join(d, 'weights.bin')).size / 3)),
  'threshold-neg': (d) => editJson(d, 'threshold.json', (j) => { j.value = -0.2; }),
  'threshold-high': (d) => editJson(d, 'threshold.json', (j) => { j.value = 1.7; }),
  'std-0': (d) => editJson(d, 'scaler.json', (j) => { j.std = (j.std as number[]).map(() => 0); }),
  'std-null': (d) => editJson(d, 'scaler.json', (j) => { j.std = (j.std as number[]).map(() => null); }),
  'names-renamed': (d) => editJson(d, 'scaler.json', (j) => { j.names = (j.names as string[]).map((n) => `${n}_x`); }),
};

/** Replace the files of `dst` by those of `src`, each by write-then-rename (as an operator's deploy would). */
function swapModelFiles(src: string, dst: string): void {
  for (const f of readdirSync(src)) {
    copyFileSync(path.join(src, f), path.join(dst, `.${f}.tmp`));
    renameSync(path.join(dst, `.${f}.tmp`), path.join(dst, f));
  }
}

/** The daemon's alert settings, given to the clean replay too (replay's gap is 60 s, the daemon's default 5 s). */
const ALERTS = 'alerts: {maxRowsPerIncident: 1000, maxRowsPerSourcePerMinute: 600, incidentGapSeconds: 60}';

async function buildWorld(jobs: number): Promise<World> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lln-fuzz-daemon-'));
  const w: World = { root, broken: new Map(), big: path.join(root, 'big.pcap'), baseline: new Map(), veths: [], canMount: false };
  await generateCapture({ out: w.big, seed: 5, durationSec: 400, packetsTarget: 20_000 });
  for (const b of BROKEN) {
    const dir = path.join(root, 'broken', b);
    cpSync(DEFAULT_MODEL, dir, { recursive: true });
    CORRUPT[b](dir);
    w.broken.set(b, dir);
  }
  // What a clean replay of each sample commits, with the shipped model.
  for (const f of [...SAMPLES, w.big]) {
    const db = path.join(root, `baseline-${path.basename(f)}.db`);
    const r = sh(process.execPath, [CLI, '--log-level', 'warn', 'replay', f, '--db', db, '--no-csv', '--quiet']);
    if (r.status !== 0) throw new Error(`baseline replay of ${f} failed: ${r.stderr}`);
    const d = new Database(db, { readonly: true });
    w.baseline.set(path.basename(f), {
      rows: (d.prepare('SELECT COUNT(*) AS c FROM anomalies').get() as { c: number }).c,
      incidents: (d.prepare('SELECT COUNT(*) AS c FROM incidents').get() as { c: number }).c,
      packets: (d.prepare('SELECT packets FROM runs').get() as { packets: number }).packets,
    });
    d.close();
  }
  if (IS_ROOT) {
    const probe = path.join(root, 'probe');
    mkdirSync(probe);
    w.canMount = sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (w.canMount) sh('umount', [probe]);
    if (sh('ip', ['-V']).status === 0 && sh('tcpreplay', ['-V']).status === 0) {
      for (let i = 0; i < jobs; i++) {
        const v = new Veth(i);
        try {
          v.create();
          w.veths.push(v);
        } catch (e) {
          v.destroy();
          console.log(`no veth pair (${(e as Error).message.split('\n')[0]}): spool-folder runs only`);
          break;
        }
      }
    }
  }
  return w;
}

// ---- one run ---------------------------------------------------------------------------------

interface Case {
  fault: Fault;
  broken: Broken | null;
  live: boolean;
  learning: boolean;
  files: string[];
  /** Files dropped after the fault (hup-broken: scored after a refused reload). */
  lateFiles: string[];
  pps: number;
  /** What tcpreplay sends on the veth (live runs). */
  liveFile: string;
  /** ms: for term-random from spawn, for term-spool/term-training after their moment. */
  termAfterMs: number;
  /** KiB left free on the database's disk (db-full). */
  dbFreeKiB: number;
  /** hup-broken: restore the good model and SIGHUP again before stopping. */
  restore: boolean;
  /**
   * term-training: the SIGTERM comes termAfterMs after the training's child started (a running
   * training), else after the wait for verdicts began (mostly that wait: it is 35 s long).
   */
  termInTraining: boolean;
}

function pick<T>(rng: SeededRandom, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

function makeCase(rng: SeededRandom, w: World, only: string): Case {
  const faults = FAULTS.filter((f) => (only ? f === only : true))
    .filter((f) => w.canMount || (f !== 'state-full' && f !== 'db-full'))
    .filter((f) => w.veths.length > 0 || (f !== 'state-full' && f !== 'term-training' && f !== 'store-broken'));
  // Trainings wait 35 s for their verdicts: those runs are long, so rarer.
  const weights = faults.map((f) => (f === 'term-training' ? 0.5 : 1));
  let r = rng.next() * weights.reduce((a, b) => a + b, 0), fault = faults[0]!;
  for (let i = 0; i < faults.length; i++) if ((r -= weights[i]!) < 0) { fault = faults[i]!; break; }
  const needsLive = fault === 'state-full' || fault === 'term-training' || fault === 'store-broken';
  const live = needsLive || (w.veths.length > 0 && rng.next() < 0.5);
  const learning = needsLive || fault === 'rollback-broken' || (live && rng.next() < 0.3);
  const nFiles = fault === 'term-spool' ? 1 + rng.int(2) : rng.int(3);
  const files = Array.from({ length: nFiles }, () => (rng.next() < (fault === 'term-spool' ? 0.7 : 0.1) ? w.big : pick(rng, SAMPLES)));
  const broken = fault === 'hup-broken' || fault === 'start-broken' || fault === 'store-broken' || fault === 'rollback-broken' ? pick(rng, BROKEN) : null;
  const c: Case = {
    fault, broken, live, learning, files,
    lateFiles: fault === 'hup-broken' ? Array.from({ length: 1 + rng.int(2) }, () => pick(rng, SAMPLES)) : [],
    pps: pick(rng, [2000, 5000, 10_000]),
    liveFile: pick(rng, SAMPLES),
    termAfterMs: fault === 'term-random' ? Math.floor(rng.next() ** 1.5 * 12_000)
      : fault === 'term-training' ? Math.floor(rng.next() * 40_000) : Math.floor(rng.next() * (fault === 'term-spool' ? 4000 : 2500)),
    dbFreeKiB: 8 + rng.int(200),
    restore: rng.next() < 0.5,
    termInTraining: false,
  };
  // Drawn last, so the cases of a seed stay as they were before it.
  if (fault === 'term-training' && rng.next() < 0.7) {
    c.termInTraining = true;
    c.termAfterMs = Math.floor(rng.next() * 8000); // the tiny training takes ~5-30 s here
  }
  return c;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  log: string;
  hung: boolean;
  ms: number;
  /** Problems found by the checks after the run. */
  problems: string[];
  /** Things seen that are not failures: kept for the tally. */
  notes: string[];
}


function mountTmpfs(dir: string, kib: number): boolean {
  mkdirSync(dir, { recursive: true });
  return sh('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]).status === 0;
}

function config(c: Case, dir: string, o: { port: number; db: string; state: string; incoming: string; model: string; iface?: string }): string {
  const lines = [
    o.iface ? `interfaces:\n  - name: ${o.iface}` : 'interfaces: []',
    `spool: {dir: ${o.incoming}, settleSeconds: 0}`,
    `model: {dir: ${o.model}}`,
    `outputs:\n  sqlite: ${o.db}`,
    ALERTS,
    'logging: {level: info, format: text}',
    `metrics: {listen: "127.0.0.1:${o.port}"}`,
    `stateDir: ${o.state}`,
    'user: root',
  ];
  if (c.learning) {
    lines.push([
      'learning:',
      '  enabled: true',
      '  period: 2s',
      '  minPackets: 300',
      '  spool: {fileSeconds: 2}',
      '  training: {epochs: 1, trainStride: 64, syntheticCopies: 1}',
      '  check: {maxFpr: 1, minSyntheticRecall: 0, minRecallOnIncidents: 0}',
    ].join('\n'));
  }
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Copy under a dot-name and rename: settleSeconds 0 must never see a half-written file. */
function drop(incoming: string, file: string, n: number): string {
  const name = `${n}-${path.basename(file)}`;
  copyFileSync(file, path.join(incoming, `.${name}`));
  renameSync(path.join(incoming, `.${name}`), path.join(incoming, name));
  return name;
}

/** Processes still running whose command line names `dir` (a training child left behind). */
function leftBehind(dir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function runCase(c: Case, w: World, runDir: string, veth: Veth | null, stopMs: number): Promise<Outcome> {
  const t0 = Date.now();
  const o: Outcome = { code: null, signal: null, log: '', hung: false, ms: 0, problems: [], notes: [] };
  const mounts: string[] = [];
  const model = path.join(runDir, 'model');
  cpSync(DEFAULT_MODEL, model, { recursive: true });
  const incoming = path.join(runDir, 'incoming');
  mkdirSync(incoming);
  let state = path.join(runDir, 'state');
  let db = path.join(runDir, 'anomalies.db');
  if (c.fault === 'state-full') {
    state = path.join(runDir, 'state-mnt');
    if (mountTmpfs(state, 1024)) mounts.push(state);
  }
  if (c.fault === 'db-full') {
    const m = path.join(runDir, 'db-mnt');
    if (mountTmpfs(m, 1024)) {
      mounts.push(m);
      db = path.join(m, 'anomalies.db');
    }
  }
  if (c.fault === 'start-broken') swapModelFiles(w.broken.get(c.broken!)!, model);
  if (c.fault === 'store-broken') plantBrokenOwnModel(state, w.broken.get(c.broken!)!);
  if (c.fault === 'rollback-broken') plantBrokenOwnModel(state, w.broken.get(c.broken!)!, DEFAULT_MODEL);
  const port = await freePort();
  const cfgFile = config(c, runDir, { port, db, state, incoming, model, iface: c.live && veth ? veth.host : undefined });

  const child = spawn(process.execPath, [CLI, 'daemon', '--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'], cwd: runDir });
  child.stdout!.on('data', (d: Buffer) => (o.log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (o.log += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', (code, signal) => {
    exited = true;
    o.code = code;
    o.signal = signal;
    resolve();
  }));
  let sender: ChildProcess | null = null;
  let termSentAt = 0;
  const term = () => {
    if (!exited && termSentAt === 0) {
      termSentAt = Date.now();
      child.kill('SIGTERM');
    }
  };
  /** Wait for a log line after the first `skip` characters (or the exit, or a timeout); true when it came. */
  const waitLog = async (re: RegExp, ms: number, skip = 0): Promise<boolean> => {
    const end = Date.now() + ms;
    while (Date.now() < end && !exited) {
      if (re.test(o.log.slice(skip))) return true;
      await sleep(50);
    }
    return re.test(o.log.slice(skip));
  };
  const dropped: string[] = [];
  const script = async (): Promise<void> => {
    if (c.fault === 'term-random') setTimeout(term, c.termAfterMs);
    if (!(await waitLog(/daemon ready: run \d+/, 120_000))) return;
    if (c.fault === 'db-full') fillLeaving(path.dirname(db), c.dbFreeKiB * 1024);
    if (c.live && veth) sender = veth.send(c.liveFile, c.pps, c.learning ? 40 : 10);
    c.files.forEach((f, i) => dropped.push(drop(incoming, f, i)));
    if (c.fault === 'term-spool') {
      if (await waitLog(/spool: scoring /, 60_000)) await sleep(c.termAfterMs);
      return term();
    }
    if (c.fault === 'hup-broken') {
      await sleep(500 + c.termAfterMs);
      const before = o.log.length;
      swapModelFiles(w.broken.get(c.broken!)!, model);
      child.kill('SIGHUP');
      const refused = await waitLog(/reload failed|reloaded: model/, 60_000, before);
      const tail = o.log.slice(before);
      if (!refused) o.problems.push(`no reload line within 60 s after SIGHUP with ${c.broken}`);
      else if (!/reload failed, still running on model/.test(tail)) o.problems.push(`a ${c.broken} model was not refused on SIGHUP`);
      c.lateFiles.forEach((f, i) => dropped.push(drop(incoming, f, 10 + i)));
      if (c.restore) {
        await sleep(300);
        swapModelFiles(DEFAULT_MODEL, model);
        const at = o.log.length;
        child.kill('SIGHUP');
        if (!(await waitLog(/reloaded: model|reload failed/, 60_000, at))) o.problems.push('no reload line after restoring the model');
        else if (!/reloaded: model/.test(o.log.slice(at))) o.problems.push(`the restored good model was refused: ${/reload failed.*/.exec(o.log.slice(at))?.[0]}`);
      }
    }
    if (c.fault === 'rollback-broken') {
      await sleep(2500); // status.json written: the command asks only a running daemon
      const t1 = Date.now();
      const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, [CLI, 'model', 'rollback', '--state-dir', state], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        p.on('exit', (code) => resolve({ code, err }));
      });
      const errLines = r.err.trim().split('\n');
      // A weights.bin cut short or a threshold out of range is dropped from learn-state.json by the
      // daemon's start-up check of the store: then there is no previous model to roll back to.
      const refused = /^lln-detect: LLN_E_MODEL: (the daemon refused the rollback: the previous model .* does not load|the previous model .* is unusable)/.test(errLines[0]!) && r.code === 4;
      const dropped = ['weights-truncated', 'threshold-neg', 'threshold-high'].includes(c.broken!) && r.code === 2 && /^lln-detect: LLN_E_USAGE: no previous own model to roll back to/.test(errLines[0]!);
      if (errLines.length !== 1 || !(refused || dropped)) {
        o.problems.push(`model rollback to a ${c.broken} model: exit ${r.code}: ${r.err.trim()}`);
      }
      if (Date.now() - t1 > 20_000) o.problems.push(`model rollback took ${Date.now() - t1} ms to answer`);
    }
    if (c.fault === 'term-training') {
      if (!(await waitLog(/training: .*waiting \d+ s for the last packets/, 90_000))) {
        o.notes.push('no training came due');
        return term();
      }
      if (c.termInTraining && !(await waitLog(/training: .* started on \d+ spooled packets/, 60_000))) {
        o.notes.push('the training did not start');
        return term();
      }
      await sleep(c.termAfterMs);
      return term();
    }
    // Until every dropped file was scored (or a fault ended the daemon), then stop.
    const end = Date.now() + 120_000;
    while (Date.now() < end && !exited) {
      const done = dropped.filter((n) => new RegExp(`spool: \\S*/${n.replace(/\./g, '\\.')}(: | was interrupted)`).test(o.log)).length;
      if (done >= dropped.length) break;
      await sleep(200);
    }
    if (c.live || c.fault === 'state-full') await sleep(c.fault === 'state-full' ? 6000 : 1500);
    if (c.fault === 'store-broken') await sleep(1000);
    term();
  };
  const scripted = script().catch((e: Error) => {
    o.problems.push(`fuzz script: ${e.message}`);
    term();
  });
  // Hang guard: every run ends by SIGTERM at the latest; then the daemon has stopMs.
  const guard = setInterval(() => {
    if (exited) return;
    if (termSentAt > 0 && Date.now() - termSentAt > stopMs) {
      o.hung = true;
      child.kill('SIGKILL');
    }
    if (Date.now() - t0 > 300_000) term(); // the script itself got stuck
  }, 250);
  await Promise.race([scripted.then(() => exit), exit]);
  await exit;
  await scripted;
  clearInterval(guard);
  (sender as ChildProcess | null)?.kill('SIGKILL');
  o.ms = Date.now() - t0;

  await sleep(100);
  const orphans = leftBehind(runDir);
  if (orphans.length > 0) {
    o.problems.push(`${orphans.length} process(es) left running after the daemon exited (pids ${orphans.join(', ')})`);
    for (const p of orphans) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  // Room for SQLite's -shm when reading a database on a full disk.
  for (const m of mounts) sh('mount', ['-o', 'remount,size=64m', m]);
  if (!o.hung) checkDatabase(c, w, o, db, path.join(state, 'spool-state.json'), dropped);
  for (const m of mounts) if (sh('umount', [m]).status !== 0) sh('umount', ['-l', m]);
  return o;
}

/**
 * learn-state.json naming a broken model of the store as current (the detecting state a restart
 * resumes), or with `goodDir`: a good current model and the broken one as previous (for rollback).
 */
function plantBrokenOwnModel(state: string, brokenDir: string, goodDir?: string): void {
  const name = '20260101T000000Z-000000000000', good = '20260102T000000Z-111111111111';
  mkdirSync(path.join(state, 'models'), { recursive: true, mode: 0o700 });
  cpSync(brokenDir, path.join(state, 'models', name), { recursive: true });
  if (goodDir) cpSync(goodDir, path.join(state, 'models', good), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(path.join(state, 'learn-state.json'), JSON.stringify({
    version: 1, state: 'detecting', learningSince: now, current: goodDir ? good : name, previous: goodDir ? name : null,
    lastTrainingAt: now, lastTrainingResult: 'planted by fuzz-daemon', nextRetrainAt: new Date(Date.now() + 86_400_000).toISOString(),
  }), { mode: 0o600 });
}

interface RunRow { id: number; mode: string; sources: string; status: string; packets: number; anomalies: number; incidents: number; rows: number; incidentRows: number }

function checkDatabase(c: Case, w: World, o: Outcome, db: string, spoolState: string, dropped: string[]): void {
  const started = /daemon ready: run \d+/.test(o.log);
  if (!existsSync(db)) {
    if (started) o.problems.push('the daemon was ready but its database does not exist');
    return;
  }
  let rows: RunRow[];
  try {
    const d = new Database(db, { readonly: true });
    try {
      rows = (d.prepare('SELECT id, mode, sources, status, packets, anomalies, incidents FROM runs ORDER BY id').all() as RunRow[]).map((r) => ({
        ...r,
        rows: (d.prepare('SELECT COUNT(*) AS c FROM anomalies WHERE run_id = ?').get(r.id) as { c: number }).c,
        incidentRows: (d.prepare('SELECT COUNT(*) AS c FROM incidents WHERE run_id = ?').get(r.id) as { c: number }).c,
      }));
    } finally {
      d.close();
    }
  } catch (e) {
    o.problems.push(`cannot read the database: ${(e as Error).message}`);
    return;
  }
  for (const r of rows) {
    const what = `run ${r.id} (${r.mode}${r.mode === 'replay' ? ` ${path.basename(JSON.parse(r.sources)[0] ?? '')}` : ''}, ${r.status})`;
    if (r.status === 'running') o.problems.push(`${what} left 'running'`);
    if (r.anomalies !== r.rows) o.problems.push(`${what}: run row says ${r.anomalies} anomalies, the table holds ${r.rows}`);
    if (r.incidents !== r.incidentRows) o.problems.push(`${what}: run row says ${r.incidents} incidents, the table holds ${r.incidentRows}`);
  }
  // Spool files: each one recorded as processed must have a finished run that committed what a clean replay does.
  let processed: Record<string, unknown> = {};
  try {
    processed = (JSON.parse(readFileSync(spoolState, 'utf8')) as { processed?: Record<string, unknown> }).processed ?? {};
  } catch {
    /* none processed */
  }
  for (const name of dropped) {
    const base = w.baseline.get(name.replace(/^\d+-/, ''))!;
    const runs = rows.filter((r) => r.mode === 'replay' && (JSON.parse(r.sources) as string[]).some((s) => path.basename(s) === name));
    const finished = runs.filter((r) => r.status === 'finished');
    for (const r of finished) {
      if (r.rows !== base.rows || r.packets !== base.packets) {
        o.problems.push(`alerts lost: spool file ${name}: run ${r.id} finished with ${r.packets} packets, ${r.rows} anomaly rows; a clean replay commits ${base.packets} and ${base.rows}`);
      }
    }
    if (name in processed && finished.length === 0) {
      o.problems.push(`alerts lost: spool file ${name} is recorded as processed but no run scored it completely (runs: ${runs.map((r) => `${r.id} ${r.status} ${r.rows} rows`).join(', ') || 'none'})`);
    }
    if (finished.length > 1) o.problems.push(`spool file ${name} scored ${finished.length} times`);
  }
  // The stop line: anomalies of every source = the rows in the database; live packets = captured.
  const stop = /daemon stopped: captured (\d+), packets (\d+),.*? anomalies (\d+), incidents (\d+)/.exec(o.log);
  if (stop) {
    const daemonRun = rows.find((r) => r.mode === 'daemon');
    const total = rows.reduce((n, r) => n + r.rows, 0);
    // A failed database: the line sets what it holds beside what was found.
    const held = /daemon stopped: .*\(the database failed: it holds (\d+) anomalies/.exec(o.log);
    const said = Number(held ? held[1] : stop[3]);
    if (said !== total) o.problems.push(`stop line says ${said} anomalies${held ? ' held' : ''}, the database holds ${total}`);
    if (held) o.notes.push('database failed');
    if (daemonRun && c.live && Number(stop[1]) !== daemonRun.packets) o.problems.push(`captured ${stop[1]} but the run row holds ${daemonRun.packets} packets`);
  } else if (started && o.code !== null && o.code !== 0 && !/LLN_E_DB|LLN_E_OUTPUT/.test(o.log)) {
    o.notes.push('no stop line');
  } else if (started && o.code === 0) {
    o.problems.push('exit 0 without the stop line');
  }
}

// ---- tally -----------------------------------------------------------------------------------

interface Tally {
  runs: number;
  byFault: Record<string, number>;
  byExit: Record<string, number>;
  /** Exit codes per fault. */
  byFaultExit: Record<string, Record<string, number>>;
  exit1: number;
  stackTraces: number;
  hangs: number;
  undocumented: number;
  multiLineErrors: number;
  runningRows: number;
  alertsLost: number;
  otherProblems: number;
  /** Where the SIGTERM landed, from the daemon's own lines: start-up, a spool file, a training's wait, a running training. */
  termDuring: Record<string, number>;
  /** Ended by SIGTERM's default action within Node's start-up, or in its exit after the last line. */
  signalDeaths: { boot: number; exit: number };
  /** The notes of the runs (not failures: 'no training came due', 'database failed', …), with how often. */
  notes: Record<string, number>;
  /** Distinct error/warn log lines (numbers masked), with how often: the messages to read. */
  messages: Map<string, number>;
  failures: string[];
  slowestMs: number;
}

function judge(t: Tally, c: Case, o: Outcome, label: string): boolean {
  t.runs++;
  t.byFault[c.fault] = (t.byFault[c.fault] ?? 0) + 1;
  const key = o.code === null ? `signal ${o.signal}` : String(o.code);
  t.byExit[key] = (t.byExit[key] ?? 0) + 1;
  const perFault = (t.byFaultExit[c.fault] ??= {});
  perFault[key] = (perFault[key] ?? 0) + 1;
  t.slowestMs = Math.max(t.slowestMs, o.ms);
  const problems = [...o.problems];
  if (o.hung) {
    t.hangs++;
    problems.push('hang: still running after SIGTERM');
  }
  if (o.code === 1) {
    t.exit1++;
    problems.push('exit 1');
  }
  if (CRASH.test(o.log)) {
    t.stackTraces++;
    problems.push('stack trace');
  }
  const errorLines = o.log.split('\n').filter((l) => l.startsWith('lln-detect:'));
  if (errorLines.length > 1) {
    t.multiLineErrors++;
    problems.push(`${errorLines.length} lln-detect: lines`);
  }
  // A SIGTERM within Node's own start-up takes the default action (README "Exit codes"); so does
  // one in Node's exit, after the last line (its signal handlers are gone by then): everything was
  // committed and reported by that time, which the checks above verify.
  const bootDeath = o.code === null && o.signal === 'SIGTERM' && c.fault === 'term-random' && o.log === '';
  const lastLine = o.log.trim().split('\n').pop() ?? '';
  const exitDeath = o.code === null && o.signal === 'SIGTERM' && /^lln-detect: |daemon stopped: /.test(lastLine) && /daemon stopped: /.test(o.log);
  const during = !/daemon ready: run/.test(o.log) ? 'start-up'
    : /learning: stopping the running training/.test(o.log) ? 'a running training'
    : /waiting \d+ s for the last packets' verdicts/.test(o.log) && !/training: .* started on/.test(o.log) ? "a training's wait"
    : /spool: \S+ was interrupted/.test(o.log) ? (/SIGTERM: stopping; scoring and committing everything read so far/.test(o.log) ? 'a spool file being scored' : "a spool file's model load")
    : /lifecycle: learning → detecting|new model refused/.test(o.log) ? 'after a training ended' : 'other';
  for (const n of o.notes) t.notes[n] = (t.notes[n] ?? 0) + 1;
  if (c.fault.startsWith('term-')) t.termDuring[during] = (t.termDuring[during] ?? 0) + 1;
  if (bootDeath) t.signalDeaths.boot++;
  if (exitDeath) t.signalDeaths.exit++;
  if (!o.hung && !bootDeath && !exitDeath && (o.code === null || !DOCUMENTED.has(o.code))) {
    t.undocumented++;
    problems.push(`exit ${key}`);
  }
  if (c.fault === 'start-broken' && o.code !== 4) problems.push(`a ${c.broken} model at start: exit ${key}, not 4`);
  t.runningRows += o.problems.filter((p) => p.includes("left 'running'")).length > 0 ? 1 : 0;
  t.alertsLost += o.problems.some((p) => p.startsWith('alerts lost') || p.includes('the table holds') || p.includes('the database holds')) ? 1 : 0;
  t.otherProblems += problems.length > 0 ? 1 : 0;
  for (const l of o.log.split('\n')) {
    if (/^(error|warn):|^lln-detect:/.test(l)) {
      const k = l.replace(/\/tmp\/[^\s:;,)']*/g, 'PATH').replace(/\d+(\.\d+)?/g, 'N').slice(0, 240);
      t.messages.set(k, (t.messages.get(k) ?? 0) + 1);
    }
  }
  if (problems.length > 0 && t.failures.length < 40) {
    const tail = o.log.trim().split('\n').filter((l) => /^(error|warn)|lln-detect:|daemon stopped|\s+at /.test(l)).slice(-6);
    t.failures.push(`${label}: ${problems.join('; ')}\n    case ${JSON.stringify(c)}\n    exit ${key} after ${(o.ms / 1000).toFixed(1)} s\n    ${tail.join('\n    ')}`);
  }
  return problems.length > 0;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + a.minutes * 60_000;
  let world: World | null = null;
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const t: Tally = {
    runs: 0, byFault: {}, byExit: {}, byFaultExit: {}, exit1: 0, stackTraces: 0, hangs: 0, undocumented: 0, multiLineErrors: 0, runningRows: 0, alertsLost: 0, otherProblems: 0, signalDeaths: { boot: 0, exit: 0 }, termDuring: {}, notes: {},
    messages: new Map(), failures: [], slowestMs: 0,
  };
  const started = Date.now();
  try {
    world = await buildWorld(a.jobs);
    const w = world;
    console.log(`fuzz daemon: seed ${a.seed}, up to ${a.runs} runs or ${a.minutes} min, ${a.jobs} at a time; tmpfs: ${w.canMount ? 'yes' : 'no (not root?)'}, veth pairs: ${w.veths.length}`);
    console.log(`clean replay baselines: ${[...w.baseline].map(([f, b]) => `${f} ${b.packets} packets, ${b.rows} anomalies, ${b.incidents} incidents`).join('; ')}`);
    let next = a.first;
    const worker = async (job: number): Promise<void> => {
      while (!stopping && Date.now() < deadline) {
        const n = next++;
        if (n >= a.runs) return;
        const runDir = mkdtempSync(path.join(w.root, `run-${n}-`));
        const rng = new SeededRandom(a.seed * 1_000_003 + n);
        const c = makeCase(rng, w, a.only);
        const o = await runCase(c, w, runDir, w.veths[job] ?? null, a.stopSeconds * 1000);
        const bad = judge(t, c, o, `run ${n} (seed ${a.seed})`);
        if (process.env.FUZZ_DEBUG) console.log(`  run ${n}: ${c.fault}${c.broken ? ` ${c.broken}` : ''}${c.live ? ' live' : ''}${c.learning ? ' learning' : ''}: exit ${o.code ?? o.signal} in ${(o.ms / 1000).toFixed(1)} s${bad ? ' FAILED' : ''}`);
        // FUZZ_KEEP=1 keeps the directory and log of each failed run, FUZZ_KEEP=all of every run.
        if ((bad || process.env.FUZZ_KEEP === 'all') && process.env.FUZZ_KEEP) writeFileSync(path.join(runDir, 'daemon.log'), o.log);
        else rmSync(runDir, { recursive: true, force: true });
        if (t.runs % 25 === 0) console.log(`  ${t.runs} runs, ${((Date.now() - started) / 60_000).toFixed(1)} min: exits ${JSON.stringify(t.byExit)}, runs with problems ${t.otherProblems}`);
      }
    };
    await Promise.all(Array.from({ length: a.jobs }, (_, i) => worker(i)));
  } finally {
    if (world) {
      for (const v of world.veths) v.destroy();
      if (!process.env.FUZZ_KEEP) rmSync(world.root, { recursive: true, force: true });
    }
  }
  console.log(`\nruns ${t.runs} in ${((Date.now() - started) / 60_000).toFixed(1)} min (slowest ${(t.slowestMs / 1000).toFixed(0)} s)`);
  console.log(`faults: ${Object.entries(t.byFault).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  for (const [f, e] of Object.entries(t.byFaultExit).sort()) console.log(`  ${f}: exits ${Object.entries(e).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`exit codes: ${Object.entries(t.byExit).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`exit 1: ${t.exit1}  stack traces: ${t.stackTraces}  hangs: ${t.hangs}  undocumented exits: ${t.undocumented}  runs with >1 error line: ${t.multiLineErrors}`);
  console.log(`term-* runs, where the SIGTERM landed: ${Object.entries(t.termDuring).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`notes: ${Object.entries(t.notes).sort().map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`);
  console.log(`ended by SIGTERM's default action: ${t.signalDeaths.boot} within Node's start-up (nothing printed yet), ${t.signalDeaths.exit} in Node's exit after the last line`);
  console.log(`runs with a run row left running: ${t.runningRows}  runs with alerts lost or miscounted: ${t.alertsLost}  runs with any problem: ${t.otherProblems}`);
  console.log('error and warning lines seen (numbers and temp paths masked):');
  for (const [m, n] of [...t.messages].sort((x, y) => y[1] - x[1]).slice(0, 40)) console.log(`  ${String(n).padStart(4)}  ${m}`);
  for (const f of t.failures) console.log(f);
  if (t.otherProblems > 0) process.exitCode = 1;
}

void main();
