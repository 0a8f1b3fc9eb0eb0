import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateCapture } from '../src/generator/generate-capture';
import { HAVE_SAMPLES, committedSample, sample } from './helpers/samples';
import { CLI, children, DaemonProcess, VethNamespace, freePort, must, run, sentCount, sleep, writeConfig } from './helpers/daemon-harness';

/**
 * The daemon as a user runs it: a child process of the real CLI, capturing on a veth pair made
 * for the test (the peer lives in a network namespace; tcpreplay sends real captures into it),
 * writing a real SQLite file and serving real metrics. Namespaces and children are always removed.
 */
const IS_ROOT = process.getuid?.() === 0;
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP_LIVE = !IS_ROOT ? 'needs root for network namespaces: skipping' : !have('ip', ['-V']) || !have('tcpreplay', ['-V']) ? 'iproute2 or tcpreplay missing: skipping' : false;
/**
 * Ethernet captures (the veth carries Ethernet frames): the public ones of ../shared/samples when
 * it is beside the checkout, else the committed samples, so a plain clone runs these tests too.
 * LIVE first, then one more after each reload.
 */
const LIVE_SAMPLES = HAVE_SAMPLES ? ['dns-remoteshell.pcap', 'http.cap', 'nb6-startup.pcap'].map(sample) : ['lan-portscan.pcap', 'lan-dnsshell.pcap', 'lan-benign.pcap'].map(committedSample);
const AFTER_RELOAD = HAVE_SAMPLES ? sample('telnet-raw.pcap') : committedSample('lan-dnsshell.pcap');
const AFTER_BAD_RELOAD = HAVE_SAMPLES ? sample('dns.cap') : committedSample('lan-benign.pcap');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-e2e-'));
let modelDir = '';

/** A model for the daemon: LLN_TEST_MODEL_DIR, or a tiny one trained now (~6 s) on a generated capture. */
async function testModel(): Promise<string> {
  if (process.env.LLN_TEST_MODEL_DIR) return process.env.LLN_TEST_MODEL_DIR;
  const pcap = path.join(tmp, 'train.pcap');
  await generateCapture({ out: pcap, seed: 7, durationSec: 30, packetsTarget: 1000 });
  const dir = path.join(tmp, 'model-a');
  must(process.execPath, [CLI, 'train', '--pcap-file', pcap, '--epochs', '1', '--train-stride', '8', '--out', dir]);
  return dir;
}

interface RunRow { id: number; mode: string; sources: string; model_id: string; packets: number; windows: number; status: string }
function runs(db: string): RunRow[] {
  const d = new Database(db, { readonly: true, timeout: 5000 });
  try {
    return d.prepare('SELECT id, mode, sources, model_id, packets, windows, status FROM runs ORDER BY id').all() as RunRow[];
  } finally {
    d.close();
  }
}

before(async () => {
  modelDir = await testModel();
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('daemon: live capture on a veth pair, reload, stop', { skip: SKIP_LIVE, timeout: 90_000 }, () => {
  const veth = new VethNamespace();
  let daemon: DaemonProcess;
  let dir = '';
  let config = '';
  let db = '';
  let sent = 0;

  before(async () => {
    veth.create();
    dir = mkdtempSync(path.join(tmp, 'live-'));
    db = path.join(dir, 'anomalies.db');
    const port = await freePort();
    config = writeConfig(path.join(dir, 'config.yaml'), { iface: veth.host, model: modelDir, port, db });
    daemon = new DaemonProcess(config, port);
    await daemon.waitReady();
  });

  after(() => {
    daemon?.signal('SIGKILL');
    veth.destroy();
  });

  test('captures every replayed packet (metrics)', async () => {
    for (const s of LIVE_SAMPLES) sent += veth.replay(s, 2000);
    assert.ok(sent > 500, `tcpreplay sent only ${sent} packets`);
    const got = await daemon.metricReaches('lln_packets_captured_total', `interface="${veth.host}"`, sent);
    assert.equal(got, sent, 'lln_packets_captured_total equals what tcpreplay sent');
    assert.equal(await daemon.metric('lln_capture_up', `interface="${veth.host}"`), 1);
  });

  test('SIGHUP with a valid new model: model_id changes, daemon keeps capturing', async () => {
    const second = path.join(dir, 'model-b');
    cpSync(modelDir, second, { recursive: true }); // another directory name: another model id
    writeConfig(config, { iface: veth.host, model: second, port: daemon.port, db });
    const mark = daemon.log.length;
    daemon.signal('SIGHUP');
    await daemon.waitLog(/reloaded: model (model-b@[0-9a-f]+)/, 20_000, mark);
    const row = runs(db).find((r) => r.mode === 'daemon')!;
    assert.match(row.model_id, /^model-b@/);
    sent += veth.replay(AFTER_RELOAD, 2000);
    assert.equal(await daemon.metricReaches('lln_packets_captured_total', `interface="${veth.host}"`, sent), sent);
  });

  test('SIGHUP with a corrupt model (weights.bin truncated): old model kept, error logged, still running', async (t) => {
    const bad = path.join(dir, 'model-c');
    cpSync(modelDir, bad, { recursive: true });
    truncateSync(path.join(bad, 'weights.bin'), Math.floor(statSync(path.join(bad, 'weights.bin')).size / 2));
    writeConfig(config, { iface: veth.host, model: bad, port: daemon.port, db });
    const mark = daemon.log.length;
    daemon.signal('SIGHUP');
    t.diagnostic((await daemon.waitLog(/reload failed, still running on model model-b@.*/, 20_000, mark))[0]);
    assert.match(runs(db).find((r) => r.mode === 'daemon')!.model_id, /^model-b@/);
    sent += veth.replay(AFTER_BAD_RELOAD, 2000);
    assert.equal(await daemon.metricReaches('lln_packets_captured_total', `interface="${veth.host}"`, sent), sent);
    assert.equal((await fetch(`http://127.0.0.1:${daemon.port}/healthz`)).status, 200);
  });

  test('SIGTERM: exit 0, run finished with packets == sent', async () => {
    const { code, final } = await daemon.stop();
    assert.equal(code, 0, daemon.log);
    const [row] = runs(db).filter((r) => r.mode === 'daemon');
    assert.equal(row.status, 'finished');
    assert.equal(row.packets, sent, 'every packet tcpreplay sent is in the run');
    assert.equal(Number(final[1]), sent, 'captured count in the final log line');
    assert.ok(row.windows > 0, 'windows were scored');
  });
});

describe('daemon: SIGTERM under load', { skip: SKIP_LIVE, timeout: 60_000 }, () => {
  const veth = new VethNamespace();
  before(() => veth.create());
  after(() => veth.destroy());

  test('every packet captured before the signal is scored and committed', async (t) => {
    const dir = mkdtempSync(path.join(tmp, 'load-'));
    const pcap = path.join(dir, 'load.pcap');
    await generateCapture({ out: pcap, seed: 11, durationSec: 60, packetsTarget: 40_000 });
    const db = path.join(dir, 'anomalies.db');
    const port = await freePort();
    const daemon = new DaemonProcess(writeConfig(path.join(dir, 'config.yaml'), { iface: veth.host, model: modelDir, port, db }), port);
    await daemon.waitReady();
    const replay = spawn('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-i', veth.peer, '--pps', '20000', pcap], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(replay);
    let replayOut = '';
    replay.stdout!.on('data', (d: Buffer) => (replayOut += d.toString()));
    const replayDone = new Promise<void>((resolve) => replay.on('exit', () => resolve()));
    try {
      const seen = await daemon.metricReaches('lln_packets_captured_total', `interface="${veth.host}"`, 5000);
      assert.ok(seen >= 5000, `traffic is flowing (${seen} captured)`);
      const { code, final } = await daemon.stop();
      assert.equal(code, 0, daemon.log);
      t.diagnostic(final[0]);
      const [captured, packets, scored] = [Number(final[1]), Number(final[2]), Number(final[3])];
      const [row] = runs(db);
      assert.equal(row.status, 'finished');
      assert.ok(captured >= seen, `captured at exit (${captured}) >= captured before the signal (${seen})`);
      assert.equal(packets, captured, 'every captured packet went through the pipeline');
      assert.equal(row.packets, captured, 'runs.packets == captured');
      assert.ok(scored > 0 && scored <= captured);
      const dropped = Number(final[5]);
      if (dropped === 0) assert.equal(scored, captured, 'no window dropped: every packet has a score');
    } finally {
      await replayDone;
      children.delete(replay);
    }
    assert.ok(sentCount(replayOut) > 0);
  });
});

describe('daemon: spool folder', { timeout: 60_000 }, () => {
  test('a capture copied in slowly is scored exactly once, only when complete', async () => {
    const dir = mkdtempSync(path.join(tmp, 'spool-'));
    const spool = path.join(dir, 'spool');
    const db = path.join(dir, 'anomalies.db');
    const port = await freePort();
    must('mkdir', ['-p', spool]);
    // settleSeconds 3 against pauses of 0.2 s: the file must not be read between two chunks,
    // even on a machine slowed fifteenfold.
    const daemon = new DaemonProcess(writeConfig(path.join(dir, 'config.yaml'), { model: modelDir, port, db, spool, settleSeconds: 3 }), port);
    try {
      await daemon.waitReady();
      const src = readFileSync(committedSample('lan-portscan.pcap'));
      const expected = Number(/Number of packets:\s+(\d+)/.exec(must('capinfos', ['-c', '-M', committedSample('lan-portscan.pcap')]))![1]);
      const dest = path.join(spool, 'incoming.pcap');
      const chunks = 5;
      for (let i = 0; i < chunks; i++) {
        appendFileSync(dest, src.subarray(Math.floor((i * src.length) / chunks), Math.floor(((i + 1) * src.length) / chunks)));
        await sleep(200);
      }
      await daemon.waitLog(/spool: .*incoming\.pcap: run \d+, (\d+) packets/, 20_000);
      // Files are taken oldest first, one poll after another: once a newer file is done, any
      // second pass over incoming.pcap would have happened before it.
      cpSync(committedSample('lan-benign.pcap'), path.join(spool, 'later.pcap'));
      await daemon.waitLog(/spool: .*later\.pcap: run \d+, (\d+) packets/, 20_000);
      const { code } = await daemon.stop();
      assert.equal(code, 0, daemon.log);
      const replays = runs(db).filter((r) => r.mode === 'replay');
      assert.equal(replays.length, 2, `one replay run per file: ${JSON.stringify(replays)}`);
      assert.deepEqual(JSON.parse(replays[0].sources), [dest]);
      assert.equal(replays[0].packets, expected);
      assert.equal(replays[0].status, 'finished');
    } finally {
      daemon.signal('SIGKILL');
    }
  });
});

describe('daemon: spool file interrupted by shutdown', { timeout: 120_000 }, () => {
  test('is scored again, completely, at the next start', async () => {
    const dir = mkdtempSync(path.join(tmp, 'spool-stop-'));
    const spool = path.join(dir, 'spool');
    const db = path.join(dir, 'anomalies.db');
    must('mkdir', ['-p', spool]);
    // Many scoring batches long, so a SIGTERM sent once the first batch is scored lands mid-file
    // however fast or slow the machine is.
    const big = path.join(dir, 'big.pcap');
    await generateCapture({ out: big, seed: 13, durationSec: 600, hosts: 40, packetsTarget: 300_000 });
    const expected = Number(/Number of packets:\s+(\d+)/.exec(must('capinfos', ['-c', '-M', big]))![1]);
    const port = await freePort();
    const config = writeConfig(path.join(dir, 'config.yaml'), { model: modelDir, port, db, spool });
    const first = new DaemonProcess(config, port);
    try {
      await first.waitReady();
      cpSync(big, path.join(spool, 'big.pcap'));
      // Wait for the condition, not for a guess of how long it takes: the file's first packets scored.
      const scored = await first.metricReaches('lln_packets_scored_total', 'interface="spool"', 1, 60_000);
      assert.ok(scored >= 1 && scored < expected, `scoring of the spool file under way: ${scored} of ${expected}`);
      const { code } = await first.stop();
      assert.equal(code, 0, first.log);
    } finally {
      first.signal('SIGKILL');
    }
    const cut = runs(db).filter((r) => r.mode === 'replay');
    assert.equal(cut.length, 1);
    assert.equal(cut[0].status, 'interrupted', JSON.stringify(cut));
    assert.ok(cut[0].packets < expected, `stopped mid-file: ${cut[0].packets} of ${expected}`);

    const second = new DaemonProcess(config, port);
    try {
      await second.waitReady();
      await second.waitLog(/spool: .*big\.pcap: run \d+, \d+ packets/, 60_000);
      const { code } = await second.stop();
      assert.equal(code, 0, second.log);
    } finally {
      second.signal('SIGKILL');
    }
    const all = runs(db).filter((r) => r.mode === 'replay');
    assert.equal(all.length, 2, JSON.stringify(all));
    assert.equal(all[1].status, 'finished');
    assert.equal(all[1].packets, expected, 'every packet of the file scored in the second run');
  });
});

describe('config check', { timeout: 30_000 }, () => {
  const bad: Array<[string, string, string]> = [
    ['misspelt key', 'interfaces:\n  - name: eth0\n    filtr: port 53\n', "interfaces[0]: unknown key 'filtr'"],
    ['misspelt section', 'interfaces: [{name: eth0}]\noutput:\n  sqlite: false\n', "'output'"],
    ['wrong type', 'interfaces:\n  - name: eth0\n    snaplen: big\n', 'interfaces[0].snaplen'],
    ['public metrics', 'interfaces: [{name: eth0}]\nmetrics:\n  listen: 0.0.0.0:9910\n', 'metrics.listen'],
    ['stride > size', 'interfaces: [{name: eth0}]\nwindow:\n  size: 16\n  stride: 32\n', 'window.stride'],
    ['spool without dir', 'spool:\n  settleSeconds: 5\n', 'spool.dir'],
    ['bad level', 'interfaces: [{name: eth0}]\nlogging:\n  level: loud\n', 'logging.level'],
    ['nothing to watch', 'model:\n  threshold: 0.5\n', 'interfaces'],
  ];
  for (const [what, yaml, key] of bad) {
    test(`${what}: exit 7, one line naming ${key}`, () => {
      const file = path.join(tmp, `bad-${what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, yaml);
      const r = run(process.execPath, [CLI, 'config', 'check', file]);
      assert.equal(r.status, 7, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /LLN_E_CONFIG/);
      assert.ok(lines[0].includes(key), `names ${key}: ${lines[0]}`);
      assert.equal(r.stdout, '');
    });
  }

  test('config example passes config check', () => {
    const ex = run(process.execPath, [CLI, 'config', 'example']);
    assert.equal(ex.status, 0, ex.stderr);
    const file = path.join(tmp, 'example.yaml');
    // The example names eth0; config check reports an interface this machine lacks, so check it on lo.
    writeFileSync(file, ex.stdout.replace(/^  - name: eth0$/m, '  - name: lo'));
    const r = run(process.execPath, [CLI, 'config', 'check', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: ok$/m);
  });
});
