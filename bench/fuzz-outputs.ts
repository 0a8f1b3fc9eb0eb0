/**
 * CLI-level fuzz of output failures: `replay`, `features` and `config check` run as real child
 * processes against unwritable paths (read-only mount, missing directory, a directory, a file as
 * a parent), full disks (/dev/full, a nearly full tmpfs), standard output on /dev/full or on a
 * pipe closed early, non-capture and cut inputs, and SIGTERM/SIGINT at random moments. Every run
 * must end by itself with a documented exit code, at most one `lln-detect:` error line and no
 * stack trace. Seeded (the seed and run number reproduce a case), bounded in runs and minutes,
 * and everything it creates (temp dirs, tmpfs mounts) is removed at the end, also on Ctrl-C.
 *
 *   npm run fuzz:outputs -- [--runs 2000] [--minutes 30] [--seed 1] [--jobs 2]
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateCapture } from '../src/generator/generate-capture';
import { SeededRandom } from '../src/seeded-random';

const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');
/** Documented exit codes (README); 143 is only possible before Node has run any of the program. */
const DOCUMENTED = new Set([0, 2, 3, 4, 5, 6, 7, 130]);
const RUN_TIMEOUT_MS = 90_000;

interface Args {
  runs: number;
  minutes: number;
  seed: number;
  jobs: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 2000, minutes: 30, seed: 1, jobs: 2 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '') as keyof Args;
    if (k in a) a[k] = Number(argv[++i]);
  }
  return a;
}

interface World {
  root: string;
  mounts: string[];
  captures: string[];
  badInputs: string[];
  outputTargets: string[];
  configs: string[];
  /** Anomaly and incident rows a clean `replay --db` of each capture commits, per threshold (`capture|threshold`). */
  baseline: Map<string, { rows: number; incidents: number; packets: number }>;
}

function tryMount(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}

/** The fixed things every run draws from: captures, broken inputs, good and bad output paths. */
async function buildWorld(): Promise<World> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lln-fuzz-outputs-'));
  const w: World = { root, mounts: [], captures: [], badInputs: [], outputTargets: [], configs: [], baseline: new Map() };
  for (const [n, seed] of [[300, 1], [5000, 2], [40_000, 3]] as const) {
    const file = path.join(root, `cap-${n}.pcap`);
    await generateCapture({ out: file, seed, durationSec: Math.max(60, n / 50), packetsTarget: n });
    w.captures.push(file);
  }
  const big = readFileSync(w.captures[1]);
  const cut = path.join(root, 'cut.pcap');
  writeFileSync(cut, big.subarray(0, Math.floor(big.length * 0.6) + 3));
  w.captures.push(cut);
  const text = path.join(root, 'notes.txt');
  writeFileSync(text, 'not a capture\n'.repeat(100));
  const empty = path.join(root, 'empty.pcap');
  writeFileSync(empty, '');
  w.badInputs.push(text, empty, path.join(root, 'missing.pcap'), root);

  const ro = path.join(root, 'ro');
  if (tryMount(ro, 'size=64k,ro')) w.mounts.push(ro);
  const full = path.join(root, 'full');
  if (tryMount(full, 'size=512k')) {
    w.mounts.push(full);
    // Leave ~96 KiB free: enough to start, never enough to finish a big run.
    writeFileSync(path.join(full, 'ballast'), Buffer.alloc(416 * 1024));
  }
  const aFile = path.join(root, 'a-file');
  writeFileSync(aFile, 'x');
  mkdirSync(path.join(root, 'a-dir'));
  w.outputTargets.push(
    '/dev/full', path.join(root, 'no-such-dir', 'x.out'), path.join(root, 'a-dir'), path.join(aFile, 'x.out'),
    ...(w.mounts.includes(ro) ? [path.join(ro, 'x.out')] : []),
  );
  const cfg = (name: string, body: string) => {
    const p = path.join(root, name);
    writeFileSync(p, body);
    w.configs.push(p);
  };
  cfg('alias.yaml', 'a: &a [*a]\n');
  cfg('alias2.yaml', 'interfaces: &i\n  - name: lo\n    x: *i\n');
  cfg('bad.yaml', 'interfaces: [\n');
  cfg('unknown.yaml', 'interfacs: []\n');
  // What a clean replay commits, for the alerts-lost check of exit-0 runs.
  for (const capture of w.captures) {
    for (const threshold of THRESHOLDS) {
      const db = path.join(root, `baseline-${path.basename(capture)}-${threshold}.db`);
      const r = spawnSync(process.execPath, [CLI, '--log-level', 'warn', 'replay', capture, '--quiet', '--threshold', threshold, '--db', db, '--no-csv'], { encoding: 'utf8' });
      if (r.status !== 0 && r.status !== 3) throw new Error(`baseline replay of ${capture}: exit ${r.status}: ${r.stderr}`);
      if (r.status === 0) {
        const run = readRuns(db)[0]!;
        w.baseline.set(`${capture}|${threshold}`, { rows: run.rows, incidents: run.incidentRows, packets: run.packets });
      }
    }
  }
  return w;
}

const THRESHOLDS = ['0', '0.02', '0.5'] as const;

interface RunRow { id: number; status: string; packets: number; anomalies: number; incidents: number; rows: number; incidentRows: number }

function readRuns(db: string): RunRow[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare('SELECT id, status, packets, anomalies, incidents FROM runs ORDER BY id').all() as RunRow[]).map((r) => ({
      ...r,
      rows: (d.prepare('SELECT COUNT(*) AS c FROM anomalies WHERE run_id = ?').get(r.id) as { c: number }).c,
      incidentRows: (d.prepare('SELECT COUNT(*) AS c FROM incidents WHERE run_id = ?').get(r.id) as { c: number }).c,
    }));
  } finally {
    d.close();
  }
}

/**
 * The database a `replay --db` left (alerts lost or miscounted): no run row left 'running' once the
 * process ended by itself, every run row counting what its tables hold, and on exit 0 the rows of a
 * clean replay of the same capture. Returns the problems; `checked` counts the databases read.
 */
function checkReplayDb(c: Case, o: Outcome, w: World, cwd: string, t: Tally): string[] {
  if (c.args[0] !== 'replay' || o.hung) return [];
  const i = c.args.indexOf('--db');
  if (i < 0) return [];
  const db = path.resolve(cwd, c.args[i + 1]!);
  if (!w.mounts.some((m) => db.startsWith(m + '/')) && !db.startsWith(cwd + '/')) return []; // an unwritable target
  let runs: RunRow[];
  try {
    runs = readRuns(db);
  } catch (e) {
    if (o.code === 0) return [`exit 0 but its database cannot be read: ${(e as Error).message}`];
    return []; // never created (the run failed before it, or a signal in Node's start-up)
  }
  t.dbChecked++;
  o.dbEnded = runs.length > 0 && runs.every((r) => r.status !== 'running');
  const problems: string[] = [];
  for (const r of runs) {
    // Even after a signal's default action: one within Node's start-up comes before any row.
    if (r.status === 'running') problems.push(`run ${r.id} left 'running' (exit ${o.code ?? o.signal})`);
    if (r.anomalies !== r.rows) problems.push(`run ${r.id} (${r.status}) says ${r.anomalies} anomalies, the table holds ${r.rows}`);
    if (r.incidents !== r.incidentRows) problems.push(`run ${r.id} (${r.status}) says ${r.incidents} incidents, the table holds ${r.incidentRows}`);
  }
  if (o.code === 0) {
    const base = w.baseline.get(`${c.args[1]}|${c.args[c.args.indexOf('--threshold') + 1]}`);
    const r = runs[0];
    if (!r || r.status !== 'finished') problems.push(`exit 0 but the run is ${r?.status ?? 'missing'}`);
    else if (base && (r.rows !== base.rows || r.incidentRows !== base.incidents || r.packets !== base.packets)) {
      problems.push(`alerts lost: exit 0 with ${r.packets} packets, ${r.rows} anomalies, ${r.incidentRows} incidents; a clean replay commits ${base.packets}, ${base.rows}, ${base.incidents}`);
    }
  }
  if (problems.length > 0) t.alertsLost++;
  return problems;
}

interface Case {
  args: string[];
  /** Where the child's stdout goes: a pipe we read, /dev/full, or a pipe we close at once (EPIPE). */
  stdout: 'pipe' | 'full' | 'closed';
  signal: { name: NodeJS.Signals; afterMs: number } | null;
}

function pick<T>(rng: SeededRandom, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** One random case; `cwd` is the run's own directory (default outputs land there). */
function makeCase(rng: SeededRandom, w: World, cwd: string): Case {
  const fullDir = w.mounts.find((m) => m.endsWith('full'));
  const outPath = (name: string): string => {
    const r = rng.next();
    if (r < 0.45) return path.join(cwd, name); // a good path
    if (r < 0.6 && fullDir) return path.join(fullDir, `${path.basename(cwd)}-${name}`);
    return pick(rng, w.outputTargets);
  };
  const input = rng.next() < 0.85 ? pick(rng, w.captures) : pick(rng, w.badInputs);
  const r = rng.next();
  let args: string[];
  if (r < 0.45) {
    args = ['replay', input, '--quiet', '--threshold', pick(rng, THRESHOLDS)];
    if (rng.next() < 0.7) args.push('--db', outPath('a.db'));
    else args.push('--no-db');
    if (rng.next() < 0.5) args.push('--csv', outPath('a.csv'));
    if (rng.next() < 0.4) args.push('--jsonl', rng.next() < 0.3 ? '-' : outPath('a.jsonl'));
    if (rng.next() < 0.4) args.push('--scores-csv', outPath('s.csv'));
    if (rng.next() < 0.15) args.push('--plot', outPath('p.svg'));
    if (rng.next() < 0.2) args.splice(args.indexOf('--quiet'), 1);
    if (rng.next() < 0.1) args.push('--model', pick(rng, [path.join(w.root, 'a-file'), path.join(w.root, 'no-model')]));
  } else if (r < 0.9) {
    args = ['features', input, '--raw'];
    if (rng.next() < 0.7) args.push('--out', rng.next() < 0.2 ? '-' : outPath('f.csv'));
    if (rng.next() < 0.3) args.push('--format', 'jsonl');
  } else {
    args = ['config', 'check', pick(rng, w.configs)];
  }
  const s = rng.next();
  const stdout: Case['stdout'] = s < 0.15 ? 'full' : s < 0.25 ? 'closed' : 'pipe';
  const signal = rng.next() < 0.35 ? { name: pick(rng, ['SIGTERM', 'SIGINT'] as const), afterMs: Math.floor(rng.next() ** 2 * 3000) } : null;
  return { args, stdout, signal };
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  hung: boolean;
  ms: number;
  /** replay --db: its database holds runs and none is left 'running' (the program got through its end). */
  dbEnded?: boolean;
}

function runCase(c: Case, cwd: string): Promise<Outcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const fullFd = c.stdout === 'full' ? openSync('/dev/full', 'w') : -1;
    const child = spawn(process.execPath, [CLI, ...c.args], {
      cwd, stdio: ['ignore', fullFd >= 0 ? fullFd : 'pipe', 'pipe'], env: { ...process.env, LLN_LOG_FORMAT: 'text' },
    });
    if (fullFd >= 0) closeSync(fullFd);
    if (c.stdout === 'closed') child.stdout!.destroy(); // the reader goes away: EPIPE
    else child.stdout?.resume();
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    let hung = false;
    const kill = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    const sig = c.signal ? setTimeout(() => child.kill(c.signal!.name), c.signal.afterMs) : null;
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      if (sig) clearTimeout(sig);
      resolve({ code, signal, stderr, hung, ms: Date.now() - t0 });
    });
  });
}

interface Tally {
  runs: number;
  byExit: Record<string, number>;
  exit1: number;
  stackTraces: number;
  hangs: number;
  undocumented: number;
  multiLineErrors: number;
  bootSignal143: number;
  /** Ended by the signal's default action in Node's exit, after the program's last line (its handlers gone by then). */
  exitSignalDeaths: number;
  /** The latest a signal was sent among runs that died by it: shows they all hit Node's boot. */
  bootSignalMaxMs: number;
  failures: string[];
  /** Databases of replay runs read after the run, and runs whose database lost or miscounted alerts. */
  dbChecked: number;
  alertsLost: number;
}

function judge(t: Tally, c: Case, o: Outcome, label: string, dbProblems: string[] = []): void {
  t.runs++;
  const key = o.code === null ? `signal ${o.signal}` : String(o.code);
  t.byExit[key] = (t.byExit[key] ?? 0) + 1;
  const problems: string[] = [...dbProblems];
  if (o.hung) {
    t.hangs++;
    problems.push('hang');
  }
  if (o.code === 1) {
    t.exit1++;
    problems.push('exit 1');
  }
  if (/\n\s+at |Unhandled 'error'|internal error/.test(o.stderr)) {
    t.stackTraces++;
    problems.push('stack trace');
  }
  const errorLines = o.stderr.split('\n').filter((l) => l.startsWith('lln-detect:'));
  if (errorLines.length > 1) {
    t.multiLineErrors++;
    problems.push(`${errorLines.length} error lines`);
  }
  // A signal delivered before Node has started running the program takes its default action.
  // Proof that it was before: the program printed nothing (its first act is to take the signals).
  if (o.code === null && o.signal !== null && c.signal && !o.hung && o.stderr === '') {
    t.bootSignal143++;
    t.bootSignalMaxMs = Math.max(t.bootSignalMaxMs, c.signal.afterMs);
    if (process.env.FUZZ_DEBUG && c.signal.afterMs > 300) console.log(`late signal death ${c.signal.afterMs} ms after ${o.ms} ms run: ${c.args.slice(0, 2).join(' ')} stdout ${c.stdout}; stderr: ${o.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  // One that lands in Node's exit, after the program's last line: Node has put its signal handlers
  // away by then. Proof: that last line is the program's final one (its error, or the features
  // summary), or its database shows the run ended (replay's summary goes to stdout).
  else if (o.code === null && o.signal !== null && c.signal && !o.hung
    && (/^lln-detect: |^info: features: \d+ packets written/.test(o.stderr.trim().split('\n').pop() ?? '') || o.dbEnded === true)) {
    t.exitSignalDeaths++;
  }
  else if (!o.hung && (o.code === null || !DOCUMENTED.has(o.code))) {
    t.undocumented++;
    problems.push(`exit ${key}`);
  }
  if (problems.length > 0 && t.failures.length < 30) {
    t.failures.push(`${label}: ${problems.join(', ')}: lln-detect ${c.args.join(' ')} (stdout ${c.stdout}${c.signal ? `, ${c.signal.name} after ${c.signal.afterMs} ms` : ''})\n    ${o.stderr.trim().split('\n').slice(-4).join('\n    ')}`);
  }
}

function cleanup(w: World | null): void {
  if (!w) return;
  for (const m of w.mounts) spawnSync('umount', ['-l', m]);
  rmSync(w.root, { recursive: true, force: true });
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
  const t: Tally = { runs: 0, byExit: {}, exit1: 0, stackTraces: 0, hangs: 0, undocumented: 0, multiLineErrors: 0, bootSignal143: 0, exitSignalDeaths: 0, bootSignalMaxMs: 0, failures: [], dbChecked: 0, alertsLost: 0 };
  const started = Date.now();
  try {
    world = await buildWorld();
    const w = world;
    console.log(`fuzz outputs: seed ${a.seed}, up to ${a.runs} runs or ${a.minutes} min, ${a.jobs} at a time; mounts: ${w.mounts.map((m) => path.basename(m)).join(', ') || 'none (not root?)'}`);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!stopping && Date.now() < deadline) {
        const n = next++;
        if (n >= a.runs) return;
        const cwd = mkdtempSync(path.join(w.root, `run-${n}-`));
        const rng = new SeededRandom(a.seed * 1_000_003 + n);
        const c = makeCase(rng, w, cwd);
        const o = await runCase(c, cwd);
        judge(t, c, o, `run ${n} (seed ${a.seed})`, checkReplayDb(c, o, w, cwd, t));
        rmSync(cwd, { recursive: true, force: true });
        const full = w.mounts.find((m) => m.endsWith('full'));
        if (full) rmSync(path.join(full, `${path.basename(cwd)}-a.db`), { force: true });
        if (full) for (const f of ['a.db-wal', 'a.db-shm', 'a.csv', 'a.jsonl', 's.csv', 'p.svg', 'f.csv']) rmSync(path.join(full, `${path.basename(cwd)}-${f}`), { force: true });
        if (t.runs % 100 === 0) console.log(`  ${t.runs} runs, ${((Date.now() - started) / 60_000).toFixed(1)} min: exits ${JSON.stringify(t.byExit)}`);
      }
    };
    await Promise.all(Array.from({ length: a.jobs }, worker));
  } finally {
    cleanup(world);
  }
  console.log(`\nruns ${t.runs} in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  console.log(`exit codes: ${Object.entries(t.byExit).sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`exit 1: ${t.exit1}  stack traces: ${t.stackTraces}  hangs: ${t.hangs}  undocumented exits: ${t.undocumented}  runs with >1 error line: ${t.multiLineErrors}`);
  console.log(`signal before the program started (default action, 143): ${t.bootSignal143}, all sent within ${t.bootSignalMaxMs} ms of spawn; in Node's exit after the program's last line: ${t.exitSignalDeaths}`);
  console.log(`replay databases checked: ${t.dbChecked}  with alerts lost or miscounted (a run left 'running', a run row not counting its table, exit 0 without a clean replay's rows): ${t.alertsLost}`);
  for (const f of t.failures) console.log(f);
  if (t.exit1 + t.stackTraces + t.hangs + t.undocumented + t.multiLineErrors + t.alertsLost > 0) process.exitCode = 1;
}

void main();
