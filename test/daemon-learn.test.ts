import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PACKAGE_ROOT } from '../src/paths';
import { FLOW_HOLD } from '../src/pipeline/flow-hold';
import { CLI, children, DaemonProcess, VethNamespace, freePort, run } from './helpers/daemon-harness';
import { committedSample } from './helpers/samples';
import { NOBODY, unprivilegedSkip } from './helpers/unprivileged';

/**
 * The sensor learning its own network, as a user meets it: a fresh install (no model
 * configured) on a veth pair is fed real benign traffic (realdata's train-benign, time-compressed
 * by tcpreplay), learns, trains in the background, checks and swaps in its own model, then flags
 * the attack of a realdata mix. Training is tiny (2 epochs, train stride 32, one synthetic copy) to
 * keep the file near two minutes on 2 cores; how good a model gets is measured in the benchmark.
 * Without ../shared/realdata (a plain clone) the same suite runs on the committed samples:
 * samples/lan-benign.pcap replayed 12 times (3,768 packets; learning.minPackets 3,000 instead of
 * 20,000) as the network to learn, and samples/lan-portscan.pcap with its labels as the mix.
 * There the tiny training fine-tunes the shipped model (learning.training.initFromShipped: true):
 * two epochs on 3,014 packets from fresh weights learn nothing (synthetic recall 0, no attack
 * packet flagged); with realdata it starts from fresh weights, the default.
 */
/** ../shared/realdata beside the checkout (LLN_REALDATA_DIR overrides it; a missing one means a plain clone). */
const REALDATA = process.env.LLN_REALDATA_DIR ?? path.join(PACKAGE_ROOT, '..', 'shared', 'realdata');
const BENIGN = path.join(REALDATA, 'train-benign.pcap');
const MIX = path.join(REALDATA, 'mixes', 'dns-tunnel-sods.pcap');
const HAVE_REALDATA = existsSync(BENIGN) && existsSync(MIX);
/** What the sensor watches: realdata's benign day once, or the committed benign sample LOOPS times. */
/**
 * With realdata the learning period is a day and the first model comes early: the shipped model
 * flags nearly all of the time-compressed day (learning.earlyFirstModelAt). On the committed
 * sample the period is 3 s, the lifecycle's plain path.
 */
const WATCHED = HAVE_REALDATA ? { file: BENIGN, loops: 1, pps: 6000, minPackets: 20_000, period: '1d' } : { file: committedSample('lan-benign.pcap'), loops: 12, pps: 2000, minPackets: 3000, period: '3s' };
/** Its attack, labelled per frame (NAME.labels.csv beside it). */
const ATTACK = HAVE_REALDATA ? MIX : committedSample('lan-portscan.pcap');
const IS_ROOT = process.getuid?.() === 0;
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP = !IS_ROOT ? 'needs root for network namespaces: skipping' : !have('ip', ['-V']) || !have('tcpreplay', ['-V']) ? 'iproute2 or tcpreplay missing: skipping' : false;
/**
 * What the own model must meet on the watched benign traffic of the mix: not to flood, as the
 * shipped model does on this time-compressed replay (every rate feature thousands of times its
 * real value: 98.6% of the benign packets flagged while learning). The bound is loose because a
 * day replayed in three seconds also puts a whole day of a service's flows inside one 30-s
 * look-back and one service verdict (flow-hold.ts): over six runs of a 2-epoch model the benign
 * FPR was 0.000–0.111 (before the look-back: 0.0001 and 0.015 in two runs). The check's quality floors are off (below): a 2-epoch
 * model catches 10–80 % of its synthetic anomalies from run to run, and the test checks that a
 * floor refuses, not its default.
 */
const MAX_FPR = 0.3;
/**
 * The bound the daemon's own check applies to a new model: a 2-epoch model's held-out FPR varies
 * from run to run (0.0000 in most runs, 0.0552 in one, which refused the retrain this suite needs
 * to go on).
 */
const CHECK_MAX_FPR = 0.1;
const SPOOL_CAP = 3_000_000;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-learn-'));
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

// The quality floors are off outside the refusal case: a 2-epoch model trained on whatever the
// 3 MB spool holds at that moment is too small for a stable synthetic recall (0.1% in one CI run,
// 0.5 in the next), and this suite checks the lifecycle; the own model's quality is what the mix
// test asserts.
function writeLearnConfig(file: string, o: { iface: string; port: number; db: string; state: string; impossibleCheck?: boolean }): string {
  const text = `interfaces:
  - name: ${o.iface}
outputs:
  sqlite: ${o.db}
alerts:
  maxRowsPerIncident: 1000000
  maxRowsPerSourcePerMinute: 1000000
logging:
  level: info
  format: text
metrics:
  listen: 127.0.0.1:${o.port}
stateDir: ${o.state}
user: root
learning:
  period: ${WATCHED.period}
  minPackets: ${WATCHED.minPackets}
  spool:
    maxBytes: ${SPOOL_CAP}
    fileSeconds: 2
  training:
    epochs: 2
    trainStride: 32
    syntheticCopies: 1
    initFromShipped: ${HAVE_REALDATA ? 'false' : 'true'}
  check:
    maxFpr: ${o.impossibleCheck ? 0 : CHECK_MAX_FPR}
    minSyntheticRecall: ${o.impossibleCheck ? 1 : 0}
    minRecallOnIncidents: ${o.impossibleCheck ? 0.5 : 0}
  retrain:
    incidentMarginSeconds: 0.5
`;
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  return file;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return run(process.execPath, [CLI, ...args], 60_000);
}

/**
 * lln_packets_captured_total until it reaches `want`. A scrape that fails is retried: with a
 * training in the background on a loaded 2-core machine, a keep-alive connection the server just
 * closed can fail one fetch ("fetch failed") while the daemon is fine.
 */
async function metricRetry(d: DaemonProcess, name: string, labels: string): Promise<number> {
  for (let i = 0; ; i++) {
    try {
      return await d.metric(name, labels);
    } catch (e) {
      if (i >= 5) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function capturedReaches(d: DaemonProcess, iface: string, want: number, timeoutMs = 30_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  let v = 0;
  while (Date.now() < end) {
    try {
      v = await d.metric('lln_packets_captured_total', `interface="${iface}"`);
      if (v >= want) return v;
    } catch {
      /* retried */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return v;
}

const storeNames = (state: string) => (existsSync(path.join(state, 'models')) ? readdirSync(path.join(state, 'models')) : []);
const spoolBytes = (state: string) => readdirSync(path.join(state, 'training-spool')).reduce((n, f) => n + statSync(path.join(state, 'training-spool', f)).size, 0);
const learnState = (state: string) => JSON.parse(readFileSync(path.join(state, 'learn-state.json'), 'utf8')) as { state: string; current: string | null; previous: string | null };

describe('daemon learns its own network: learning → detecting, retraining, refusal, rollback, reset', { skip: SKIP, timeout: 900_000 }, () => {
  const veth = new VethNamespace();
  let dir = '', state = '', db = '', config = '', port = 0;
  let daemon: DaemonProcess;

  before(async () => {
    veth.create();
    dir = mkdtempSync(path.join(tmp, 'learn-'));
    state = path.join(dir, 'state');
    db = path.join(dir, 'anomalies.db');
    port = await freePort();
    config = writeLearnConfig(path.join(dir, 'config.yaml'), { iface: veth.host, port, db, state });
  });
  after(() => {
    daemon?.signal('SIGKILL');
    veth.destroy();
  });

  test('a fresh install learns, and SIGTERM during the first training leaves no half-written model', async (t) => {
    daemon = new DaemonProcess(config, port);
    await daemon.waitReady();
    await daemon.waitLog(/lifecycle: learning \(fresh state/);
    assert.equal(await metricRetry(daemon, 'lln_lifecycle_state', 'state="learning"'), 1);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), /^ok\nstate: learning\n/);
    let sent = 0;
    for (let i = 0; i < WATCHED.loops; i++) sent += veth.replay(WATCHED.file, WATCHED.pps);
    t.diagnostic(`sent ${sent} benign packets (${path.basename(WATCHED.file)})`);
    if (WATCHED.period === '1d') {
      const m = await daemon.waitLog(/learning: the model in use flags ([\d.]+)% of the (\d+) packets scored while learning \(learning\.earlyFirstModelAt 1%\): it does not fit this network/, 100_000);
      assert.ok(Number(m[1]) > 1 && Number(m[2]) >= WATCHED.minPackets, m[0]);
    }
    await daemon.waitLog(/training: first model started on (\d+) spooled packets/, 100_000); // + 35 s waiting for the verdicts
    const { code } = await daemon.stop();
    assert.equal(code, 0, daemon.log);
    assert.match(daemon.log, /stopping the running training/);
    assert.deepEqual(storeNames(state).filter((n) => !n.startsWith('.')), [], 'no model in the store');
    assert.deepEqual(storeNames(state), [], 'no unfinished model directory left');
    assert.equal(learnState(state).state, 'learning');
    assert.ok(spoolBytes(state) <= SPOOL_CAP, `spool ${spoolBytes(state)} bytes within its cap`);
    const st = cli(['status', '--config', config]);
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /state:\s+learning/);
    assert.match(st.stdout, /daemon:\s+stopped/);
    // Provisional alerts: the shipped model's, marked as such.
    const d = new Database(db, { readonly: true });
    const prov = d.prepare('SELECT count(*) AS n, sum(provisional) AS p FROM anomalies').get() as { n: number; p: number };
    d.close();
    assert.equal(prov.n, prov.p, 'every alert written while learning is provisional');
    t.diagnostic(`shipped model while learning: ${prov.n} provisional alerts on ${sent} benign packets (FPR ${(prov.n / sent).toFixed(4)})`);
  });

  test('after the restart the training resumes; the daemon switches to detecting on its own model', async (t) => {
    daemon.signal('SIGKILL');
    await daemon.exited;
    daemon = new DaemonProcess(config, port);
    await daemon.waitReady();
    await daemon.waitLog(/lifecycle: learning, resumed/);
    const m = await daemon.waitLog(/lifecycle: learning → detecting with own model (\d{8}T\d{6}Z-[0-9a-f]{12}) \((.*)\)/, 300_000);
    t.diagnostic(m[0]);
    assert.equal(learnState(state).current, m[1]);
    assert.equal(await metricRetry(daemon, 'lln_lifecycle_state', 'state="detecting"'), 1);
    const st = cli(['status', '--config', config]);
    assert.equal(st.status, 0, st.stderr);
    t.diagnostic(st.stdout);
    assert.match(st.stdout, /state:\s+detecting/);
    assert.match(st.stdout, new RegExp(`model:\\s+${m[1]}@[0-9a-f]+ \\(own, age`));
    assert.match(st.stdout, /next retrain:\s+\d{4}-/);
    assert.match(st.stdout, /daemon:\s+running/);
  });

  test('the mix: its attack is flagged, its benign part stays within the check bound', async (t) => {
    const sent = veth.replay(ATTACK, 6000);
    assert.equal(await capturedReaches(daemon, veth.host, sent), sent);
    // The last batch is scored within a second; its rows are written once their look-back has passed (flow-hold.ts).
    await new Promise((r) => setTimeout(r, FLOW_HOLD.lookBackSeconds * 1000 + 4000));
    const labels = readFileSync(ATTACK.replace(/\.pcap$/, '.labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    const d = new Database(db, { readonly: true, timeout: 5000 });
    const runId = (d.prepare("SELECT max(id) AS id FROM runs WHERE mode = 'daemon'").get() as { id: number }).id;
    const frames = (d.prepare('SELECT frame FROM anomalies WHERE run_id = ? AND provisional = 0').all(runId) as { frame: number }[]).map((r) => r.frame);
    d.close();
    let fp = 0, tp = 0;
    const benign = labels.filter((l) => l === 0).length, attack = labels.length - benign;
    for (const f of frames) if (labels[f - 1] === 1) tp++; else fp++;
    t.diagnostic(`own model on ${sent} packets of the mix: benign FPR ${(fp / benign).toFixed(4)} (${fp}/${benign}), attack recall ${(tp / attack).toFixed(4)} (${tp}/${attack})`);
    assert.ok(tp > 0, 'the attack is flagged');
    assert.ok(fp / benign <= MAX_FPR, `benign FPR ${fp / benign} within ${MAX_FPR}`);
    assert.ok(spoolBytes(state) <= SPOOL_CAP, `spool ${spoolBytes(state)} bytes within its cap`);
  });

  test('learn --now: a second model; a model failing the check is refused; rollback restores the previous one', async (t) => {
    const first = learnState(state).current!;
    let mark = daemon.log.length;
    assert.equal(cli(['learn', '--now', '--config', config]).status, 0);
    const m = await daemon.waitLog(/training: requested \(learn --now\): (swapped in own model (\d{8}T\d{6}Z-[0-9a-f]{12})|new model refused.*)/, 300_000, mark);
    t.diagnostic(m[0]);
    assert.ok(m[2], 'the retrained model passed its check');
    assert.deepEqual([learnState(state).current, learnState(state).previous], [m[2], first]);

    // Bounds no model this small meets (no false alert at all AND every synthetic anomaly caught): refused, the current one stays.
    writeLearnConfig(config, { iface: veth.host, port, db, state, impossibleCheck: true });
    mark = daemon.log.length;
    daemon.signal('SIGHUP');
    await daemon.waitLog(/reloaded: model/, 30_000, mark);
    assert.equal(cli(['learn', '--now', '--config', config]).status, 0);
    const r = await daemon.waitLog(/new model refused, keeping (\S+): (check failed: FPR .* above learning\.check\.maxFpr 0|it catches only .*learning\.check\.minSyntheticRecall 1\))/, 300_000, mark);
    t.diagnostic(r[0]);
    assert.match(r[1], new RegExp(`^${m[2]}@[0-9a-f]+$`));
    assert.equal(learnState(state).current, m[2]);
    assert.equal(storeNames(state).filter((n) => n.startsWith('.')).length, 0, 'the refused model is not left in the store');

    const list = cli(['model', 'list', '--config', config]);
    assert.match(list.stdout, new RegExp(`${m[2]}\\s+current`));
    assert.match(list.stdout, new RegExp(`${first}\\s+previous`));
    mark = daemon.log.length;
    const rb = cli(['model', 'rollback', '--config', config]);
    assert.equal(rb.status, 0, rb.stderr);
    await daemon.waitLog(new RegExp(`model swapped \\(rollback to ${first}\\): model ${first}@`), 30_000, mark);
    assert.deepEqual([learnState(state).current, learnState(state).previous], [first, m[2]]);
    const { code } = await daemon.stop();
    assert.equal(code, 0);
  });

  test('state survives a restart; a corrupt model directory in the store is skipped with a log line', async () => {
    daemon.signal('SIGKILL');
    await daemon.exited;
    const { current, previous } = learnState(state);
    const weights = path.join(state, 'models', current!, 'weights.bin');
    truncateSync(weights, Math.floor(statSync(weights).size / 2));
    daemon = new DaemonProcess(config, port);
    await daemon.waitReady();
    await daemon.waitLog(new RegExp(`model store: skipping ${current} \\(current\\): weights.bin has`));
    await daemon.waitLog(new RegExp(`model ${previous}@[0-9a-f]+ `));
    assert.equal(learnState(state).current, previous);
    assert.match(cli(['model', 'list', '--config', config]).stdout, new RegExp(`${current}  SKIPPED: weights.bin has`));
    await daemon.stop();
    const st = cli(['status', '--state-dir', state]);
    assert.match(st.stdout, /state:\s+detecting/);
    assert.match(st.stdout, /daemon:\s+stopped/);
    // The state dir holds captured packets: another user (nobody) is refused, in one line saying who may read it.
    assert.equal(statSync(state).mode & 0o777, 0o700);
    if (have('setpriv', ['--version']) && unprivilegedSkip() === null) {
      for (let d = path.dirname(state); d !== path.dirname(tmp); d = path.dirname(d)) chmodSync(d, 0o755);
      const r = run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, CLI, 'status', '--state-dir', state]);
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /LLN_E_UNREADABLE: .*learn-state\.json: cannot read the learning state \(permission denied\); run as the lln-detect user or root/);
    }
    // learn --reset with the daemon stopped: learning again, the spool cleared, the own models kept.
    const reset = cli(['learn', '--reset', '--state-dir', state]);
    assert.equal(reset.status, 0, reset.stderr);
    assert.deepEqual([learnState(state).state, learnState(state).current], ['learning', null]);
    const spoolDir = path.join(state, 'training-spool');
    assert.ok(!existsSync(spoolDir) || readdirSync(spoolDir).length === 0, 'the spool is cleared');
    assert.ok(storeNames(state).includes(previous!), 'own models stay in the store');
    assert.match(cli(['status', '--state-dir', state]).stdout, /state:\s+learning/);
  });
});
