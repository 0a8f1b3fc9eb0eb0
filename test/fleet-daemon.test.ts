import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MODEL } from './helpers/cli';
import { children, DaemonProcess, freePort, sleep, VethNamespace, writeConfig } from './helpers/daemon-harness';
import { assertForwardedExactlyOnce, forwardState } from './helpers/fleet-compare';
import { addPostgresOutput, writeBacklog } from './helpers/fleet-fixtures';
import { ForwardStore } from '../src/fleet/forward-store';
import { ADMIN, PgServer, pgSkipReason, SENSOR_ROLE } from './helpers/pg-server';
import { committedSample } from './helpers/samples';

/**
 * Fleet mode in the daemon: a real PostgreSQL started here, the daemon as a child process of the
 * real CLI (live capture on a veth pair, or a spool folder), its /metrics and its log.
 */
const IS_ROOT = process.getuid?.() === 0;
const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP_PG = pgSkipReason() ?? false;
const SKIP_LIVE = SKIP_PG || (!IS_ROOT ? 'needs root for network namespaces: skipping' : !have('tcpreplay', ['-V']) ? 'tcpreplay missing: skipping' : false);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-fleet-d-'));
let pg: PgServer;

interface PgOpts { url?: string; passwordFile?: string; sensor: string; batchRows?: number; drainSeconds?: number }
/** The harness's config with an outputs.postgres section. */
function fleetConfig(dir: string, o: { iface?: string; spool?: string; port: number; db: string; pg: PgOpts }): string {
  const file = writeConfig(path.join(dir, 'config.yaml'), { iface: o.iface, spool: o.spool, model: DEFAULT_MODEL, port: o.port, db: o.db, settleSeconds: 0.2 });
  addPostgresOutput(file, o.db, { ...o.pg, url: o.pg.url ?? pg.sensorUrl(), passwordFile: o.pg.passwordFile ?? pg.sensorPasswordFile() });
  return file;
}

/** One series from /metrics ('' labels: the unlabelled series); 0 when absent. */
async function metric(d: DaemonProcess, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
  const key = labels ? `${name}{${labels}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(key));
  return line ? Number(line.slice(key.length)) : 0;
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 30_000, log?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(100);
  }
  assert.fail(`${what}: not within ${timeoutMs} ms${log ? `\n${log()}` : ''}`);
}

before(async () => {
  if (!SKIP_PG) pg = await PgServer.create();
});
after(() => {
  for (const c of children) c.kill('SIGKILL');
  pg?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

describe('fleet daemon: PostgreSQL stopped mid-run', { skip: SKIP_LIVE, timeout: 150_000 }, () => {
  const veth = new VethNamespace();
  after(() => veth.destroy());

  test('nothing lost, nothing stored twice, capture did not stall (captured = sent)', async () => {
    veth.create();
    const dir = mkdtempSync(path.join(tmp, 'live-'));
    const db = path.join(dir, 'anomalies.db');
    const port = await freePort();
    const daemon = new DaemonProcess(fleetConfig(dir, { iface: veth.host, port, db, pg: { sensor: 'veth-a' } }), port);
    const m = (name: string, labels = '') => metric(daemon, name, labels);
    try {
      await daemon.waitReady(60_000);
      let sent = veth.replay(committedSample('lan-portscan.pcap'), 3000);
      // Rows are written once their look-back has passed (30 s, flow-hold.ts), then forwarded.
      await until('first capture forwarded', async () => (await m('lln_forward_rows_total', 'table="anomalies"')) > 0 && (await m('lln_forward_pending_rows')) === 0, 75_000, () => daemon.log);

      pg.stop();
      sent += veth.replay(committedSample('lan-portscan.pcap'), 3000);
      sent += veth.replay(committedSample('lan-dnsshell.pcap'), 3000);
      await until('the outage seen on /metrics', async () => (await m('lln_forward_up')) === 0 && (await m('lln_forward_failing', 'reason="unreachable"')) === 1 &&
        (await m('lln_forward_pending_rows')) > 0, 30_000, () => daemon.log);
      // Capture went on while PostgreSQL was away.
      await until('every packet captured during the outage', async () => (await m('lln_packets_captured_total', `interface="${veth.host}"`)) === sent, 15_000, () => daemon.log);
      assert.equal((daemon.log.match(/forward: PostgreSQL .* is unreachable/g) ?? []).length, 1, `one line for the outage:\n${daemon.log}`);

      pg.start();
      await until('caught up after the restart', async () => (await m('lln_forward_up')) === 1 && (await m('lln_forward_pending_rows')) === 0, 30_000, () => daemon.log);
      assert.match(daemon.log, /forward: PostgreSQL \S+ takes rows again after \d+ s of failures/);
      const { final } = await daemon.stop(30_000);
      assert.equal(Number(final[1]), sent, `captured = sent:\n${daemon.log}`);
      assert.equal(Number(final[2]), sent, 'every captured packet went through the pipeline');
      const c = await assertForwardedExactlyOnce(db, pg, 'veth-a');
      assert.equal(c.runs, 1);
      assert.ok(c.anomalies > 0, 'the scan was flagged and forwarded');
    } finally {
      daemon.signal('SIGKILL');
      pg.start(); // a no-op when running; the later tests need the server
    }
  });
});

describe('fleet daemon: SIGTERM while forwarding', { skip: SKIP_PG, timeout: 150_000 }, () => {
  test('the forward position resumes after a restart with no gap and no repeat', async () => {
    const dir = mkdtempSync(path.join(tmp, 'term-'));
    const spool = path.join(dir, 'spool');
    mkdirSync(spool);
    const db = path.join(dir, 'anomalies.db');
    const total = 60_000;
    writeBacklog(db, total);
    const port = await freePort();
    const config = fleetConfig(dir, { spool, port, db, pg: { sensor: 'term-a', batchRows: 200, drainSeconds: 0 } });
    const sentLine = /forward stopped: forwarded \d+ rows \(anomalies (\d+), new to PostgreSQL (\d+)\), pending (\d+)/;

    const d1 = new DaemonProcess(config, port);
    await d1.waitReady(60_000);
    await until('forwarding under way', async () => (await metric(d1, 'lln_forward_rows_total', 'table="anomalies"')) > 0, 30_000, () => d1.log);
    await d1.stop(30_000);
    const s1 = sentLine.exec(d1.log);
    assert.ok(s1, d1.log);
    const pos = forwardState(db).anomaly_pos;
    assert.ok(pos > 0 && pos < total, `stopped mid-way (position ${pos} of ${total}); make the backlog larger if this machine forwards it all at once`);
    assert.equal(Number(s1[1]), pos, 'the position is exactly what was sent');
    assert.equal(Number(s1[2]), pos, 'each of them new to PostgreSQL');
    const inPg = await pg.query<{ n: string; max: string }>(`SELECT count(*) AS n, max(id) AS max FROM anomalies WHERE sensor = 'term-a'`);
    assert.deepEqual(inPg.map((r) => [Number(r.n), Number(r.max)]), [[pos, pos]], 'PostgreSQL holds rows 1..position: no gap, nothing beyond');

    const d2 = new DaemonProcess(config, port);
    await d2.waitReady(60_000);
    await until('caught up', async () => (await metric(d2, 'lln_forward_pending_rows')) === 0 && (await metric(d2, 'lln_forward_rows_total', 'table="anomalies"')) > 0, 60_000, () => d2.log);
    await d2.stop(30_000);
    const s2 = sentLine.exec(d2.log);
    assert.ok(s2, d2.log);
    assert.equal(Number(s2[1]), total - pos, 'the restart sent only the rest: no repeat');
    assert.equal(Number(s2[2]), total - pos);
    await assertForwardedExactlyOnce(db, pg, 'term-a');
  });
});

describe('fleet daemon: PostgreSQL refusing', { skip: SKIP_PG, timeout: 150_000 }, () => {
  test('wrong password, unreachable host, newer schema: one log line each, scoring goes on, the state is on /metrics', async () => {
    await pg.admin('postgres', (c) => c.query(`CREATE DATABASE newer_d OWNER ${ADMIN}`));
    await pg.admin('newer_d', async (c) => {
      await c.query('CREATE TABLE lln_schema (version integer NOT NULL); INSERT INTO lln_schema VALUES (42)');
      await c.query(`GRANT SELECT ON lln_schema TO ${SENSOR_ROLE}`);
    });
    const cases = [
      { name: 'auth', pg: { sensor: 'bad-pw', passwordFile: pg.sensorPasswordFile('wrong-password-x9') }, line: /forward: PostgreSQL \S+ refused the login \(password authentication failed for user "lln_sensor"\); check the role and its password file/ },
      { name: 'unreachable', pg: { sensor: 'no-host', url: `postgresql://${SENSOR_ROLE}@127.0.0.1:9/fleet?sslmode=disable` }, line: /forward: PostgreSQL 127\.0\.0\.1:9\/fleet is unreachable \(ECONNREFUSED: nothing listens on that port\)/ },
      { name: 'schema', pg: { sensor: 'old-sensor', url: pg.sensorUrl('newer_d') }, line: /forward: PostgreSQL \S+\/newer_d has lln-detect schema v42, newer than this sensor knows \(v3\); upgrade lln-detect on this sensor/ },
    ];
    await Promise.all(cases.map(async (k) => {
      const dir = mkdtempSync(path.join(tmp, `refuse-${k.name}-`));
      const spool = path.join(dir, 'spool');
      mkdirSync(spool);
      const db = path.join(dir, 'anomalies.db');
      const port = await freePort();
      const d = new DaemonProcess(fleetConfig(dir, { spool, port, db, pg: k.pg }), port);
      try {
        await d.waitReady(60_000);
        copyFileSync(committedSample('lan-portscan.pcap'), path.join(spool, 'scan.pcap'));
        await until(`${k.name}: the spool file scored locally`, async () => (await metric(d, 'lln_spool_files_total', 'result="ok"')) === 1, 60_000, () => d.log);
        await until(`${k.name}: failing on /metrics`, async () => (await metric(d, 'lln_forward_failing', `reason="${k.name}"`)) === 1 &&
          (await metric(d, 'lln_forward_up')) === 0 && (await metric(d, 'lln_forward_pending_rows')) > 290 && (await metric(d, 'lln_forward_failures_total', `reason="${k.name}"`)) >= 3, 30_000, () => d.log);
        assert.ok((await metric(d, 'lln_anomalies_total')) > 290, 'local scoring went on');
        const lines = d.log.split('\n').filter((l) => /forward: PostgreSQL/.test(l));
        assert.equal(lines.length, 1, `${k.name}: one line, not one per retry:\n${d.log}`);
        assert.match(lines[0], k.line);
        assert.ok(!d.log.includes('wrong-password-x9') && !d.log.includes('sensor-test-password'), 'no password in the log');
        await d.stop(30_000);
        assert.equal(forwardState(db).anomaly_pos, 0, 'nothing counted as forwarded');
      } finally {
        d.signal('SIGKILL');
      }
    }));
  });

  test('a local file already forwarded under another sensor id: one line at start, scoring goes on, reason "sensor" on /metrics', async () => {
    const dir = mkdtempSync(path.join(tmp, 'renamed-'));
    const spool = path.join(dir, 'spool');
    mkdirSync(spool);
    const db = path.join(dir, 'anomalies.db');
    writeBacklog(db, 10);
    const claimed = new ForwardStore(db);
    claimed.claim('first-name', 'elsewhere:5432/lln_fleet');
    claimed.close();
    const port = await freePort();
    const d = new DaemonProcess(fleetConfig(dir, { spool, port, db, pg: { sensor: 'second-name' } }), port);
    try {
      await d.waitReady(60_000);
      await until('failing on /metrics', async () => (await metric(d, 'lln_forward_failing', 'reason="sensor"')) === 1, 20_000, () => d.log);
      copyFileSync(committedSample('lan-portscan.pcap'), path.join(spool, 'scan.pcap'));
      await until('the spool file scored locally', async () => (await metric(d, 'lln_spool_files_total', 'result="ok"')) === 1, 60_000, () => d.log);
      const lines = d.log.split('\n').filter((l) => /forward: /.test(l) && !/forward stopped/.test(l));
      assert.equal(lines.length, 1, d.log);
      assert.match(lines[0], /is forwarded as sensor 'first-name', not 'second-name'; set outputs\.postgres\.sensor \(or --sensor\) back to 'first-name', or give this sensor a new SQLite file/);
      await d.stop(30_000);
    } finally {
      d.signal('SIGKILL');
    }
  });
});
