import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateCapture } from '../src/generator/generate-capture';
import { spawnCli, tempDir } from './helpers/cli';

test('SIGTERM mid-replay commits what was scored and marks the run interrupted', async () => {
  const dir = tempDir('sigterm');
  const pcap = path.join(dir, 'big.pcap');
  await generateCapture({ out: pcap, seed: 5, durationSec: 3600, hosts: 50, packetsTarget: 400_000 });
  const child = spawnCli(['replay', pcap, '--db', 'a.db', '--csv', 'a.csv', '--scores-csv', 's.csv', '--threshold', '0.05', '--quiet'], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Wait until the run is under way: scored packets are in the scores CSV (its header line
  // plus at least one row). A condition, not a guess of how long loading takes.
  const dbPath = path.join(dir, 'a.db');
  const scoresPath = path.join(dir, 's.csv');
  const deadline = Date.now() + 120_000;
  const scoredRows = () => (existsSync(scoresPath) ? readFileSync(scoresPath, 'utf8').split('\n').length - 2 : 0);
  while (scoredRows() < 1) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `replay never started scoring:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 130, stderr);
  const db = new Database(dbPath, { readonly: true });
  const run = db.prepare('SELECT status, packets, anomalies FROM runs').get() as { status: string; packets: number; anomalies: number };
  assert.equal(run.status, 'interrupted');
  assert.ok(run.packets > 0 && run.packets < 400_000, `packets ${run.packets}`);
  const rows = (db.prepare('SELECT COUNT(*) AS c FROM anomalies').get() as { c: number }).c;
  assert.equal(rows, run.anomalies);
  // every packet counted in the run has a score row: nothing read was dropped
  const scored = readFileSync(path.join(dir, 's.csv'), 'utf8').trim().split('\n').length - 1;
  assert.equal(scored, run.packets);
  db.close();
});
