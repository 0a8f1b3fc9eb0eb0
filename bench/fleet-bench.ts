import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Forwarder } from '../src/fleet/forwarder';
import { pgTarget } from '../src/fleet/pg-target';
import { generateCapture } from '../src/generator/generate-capture';
import { children, VethNamespace } from '../test/helpers/daemon-harness';
import { addPostgresOutput, writeBacklog } from '../test/helpers/fleet-fixtures';
import { PgServer, pgSkipReason } from '../test/helpers/pg-server';
import { measure, type RateResult } from './daemon-bench';

const ROWS = Number(process.env.LLN_BENCH_FLEET_ROWS ?? 1_000_000);
const BATCHES = (process.env.LLN_BENCH_FLEET_BATCH ?? '2000').split(',').map(Number);
const PPS = Number(process.env.LLN_BENCH_FLEET_PPS ?? 20_000);
const SECONDS = Number(process.env.LLN_BENCH_FLEET_SECONDS ?? 20);
const ROUNDS = Number(process.env.LLN_BENCH_FLEET_ROUNDS ?? 2);
const CATCHUP_ROWS = Number(process.env.LLN_BENCH_FLEET_CATCHUP_ROWS ?? 300_000);

/**
 * `npm run bench -- fleet`: a PostgreSQL server started here (fsync off, loopback), then
 * (1) the catch-up: ROWS anomaly rows pending in a local SQLite file, forwarded until caught up,
 *     per batch size: rows/s and seconds;
 * (2) the daemon on a veth at PPS for SECONDS (root): captured packets/s without forwarding,
 *     with forwarding (steady state), and with forwarding while a CATCHUP_ROWS backlog drains,
 *     in ROUNDS interleaved rounds (the machine's load drifts; interleaving shares the drift).
 */
export async function runFleetBench(): Promise<Record<string, number>> {
  const skip = pgSkipReason();
  if (skip) throw new Error(`fleet bench: ${skip}`);
  const out: Record<string, number> = {};
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-fleet-bench-'));
  // The server runs niced: in a fleet it has a machine of its own, here it shares the sensor's
  // two cores, and the daemon part measures what forwarding costs the sensor.
  const pg = await PgServer.create({ nice: 10 });
  const veth = new VethNamespace();
  try {
    for (const batch of BATCHES) {
      const db = path.join(dir, `backlog-${batch}.db`);
      const t0 = Date.now();
      const rows = writeBacklog(db, ROWS);
      process.stderr.write(`fleet: ${rows} rows pending in ${db} (written in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      const f = new Forwarder({ db, target: pgTarget({ url: pg.sensorUrl(), passwordFile: pg.sensorPasswordFile(), sensor: `bench-${batch}`, where: 'bench' }), batchRows: batch });
      const t1 = process.hrtime.bigint();
      const p = await f.drain();
      const secs = Number(process.hrtime.bigint() - t1) / 1e9;
      if (p.error || p.pending !== 0) throw new Error(`fleet bench: catch-up failed: ${p.error?.message ?? `${p.pending} pending`}`);
      out[`catchup_${ROWS}_rows_batch${batch}_seconds`] = secs;
      out[`forward_rows_per_s_batch${batch}`] = p.forwarded / secs;
      process.stderr.write(`fleet: batch ${batch}: ${p.forwarded} rows in ${secs.toFixed(1)} s = ${Math.round(p.forwarded / secs)} rows/s\n`);
      await pg.query(`DELETE FROM anomalies WHERE sensor = $1`, [`bench-${batch}`]);
    }

    if (process.getuid?.() !== 0) {
      process.stderr.write('fleet: not root, skipping the daemon part (veth in a network namespace)\n');
      return out;
    }
    const pcap = path.join(dir, 'lan.pcap');
    await generateCapture({ out: pcap, seed: 21, durationSec: 600, hosts: 60, packetsTarget: 200_000 });
    veth.create(1500);
    const variants: Record<string, (n: number) => Parameters<typeof measure>[5]> = {
      off: () => ({ tag: 'off' }),
      forward: (n) => ({
        tag: `fwd${n}`,
        configure: (file, db) => addPostgresOutput(file, db, { url: pg.sensorUrl(), passwordFile: pg.sensorPasswordFile(), sensor: `daemon-fwd-${n}` }),
      }),
      catchup: (n) => ({
        tag: `cu${n}`,
        prepare: (db) => void writeBacklog(db, CATCHUP_ROWS),
        configure: (file, db) => addPostgresOutput(file, db, { url: pg.sensorUrl(), passwordFile: pg.sensorPasswordFile(), sensor: `daemon-cu-${n}` }),
      }),
    };
    const rates: Record<string, number[]> = { off: [], forward: [], catchup: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, hooks] of Object.entries(variants)) {
        const x: RateResult = await measure(veth, dir, pcap, PPS, SECONDS, hooks(round));
        const rate = x.captured / SECONDS;
        rates[name].push(rate);
        out[`daemon_${name}_round${round}_captured_pps`] = rate;
        out[`daemon_${name}_round${round}_lost`] = x.sent - x.captured;
        process.stderr.write(`fleet: daemon ${name} round ${round}: sent ${x.sent}, captured ${x.captured} (${Math.round(rate)}/s), dropped windows ${x.droppedWindows}\n`);
      }
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    out.daemon_off_captured_pps = mean(rates.off);
    out.daemon_forward_captured_pps = mean(rates.forward);
    out.daemon_catchup_captured_pps = mean(rates.catchup);
    out.daemon_forward_vs_off = out.daemon_forward_captured_pps / out.daemon_off_captured_pps;
    out.daemon_catchup_vs_off = out.daemon_catchup_captured_pps / out.daemon_off_captured_pps;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    veth.destroy();
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
