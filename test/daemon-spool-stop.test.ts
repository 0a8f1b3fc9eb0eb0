import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL, runCli, tempDir } from './helpers/cli';
import { children, DaemonProcess, freePort, writeConfig } from './helpers/daemon-harness';
import { committedSample } from './helpers/samples';
import { replayRuns } from './helpers/replay-runs';

/**
 * Found by the daemon fault run (bench/fuzz-daemon.ts, term-spool): a SIGTERM that came while a
 * spool file's model was loading (its own worker, ~0.3-2 s after `spool: scoring`) went unheard by
 * that file's scoring, whose signal listener came later: the whole file was scored before the
 * daemon stopped, however large (the unit allows 30 s to stop). Now the file is left for the next
 * start (`… was interrupted`), which scores it in full.
 */
const SAMPLE = committedSample('lan-portscan.pcap');
const CRASH = /\n\s+at |Unhandled|internal error|uncaught/i;

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

test('SIGTERM while a spool file\'s model loads: the daemon stops without scoring it, the file is not recorded, the next start scores it in full', { timeout: 120_000 }, async () => {
  const dir = tempDir('spool-stop');
  const cleanDb = path.join(dir, 'clean.db');
  const clean = runCli(['--log-level', 'warn', 'replay', SAMPLE, '--db', cleanDb, '--no-csv', '--quiet'], { cwd: dir });
  assert.equal(clean.code, 0, clean.stderr);
  const [[, , packets, rows]] = replayRuns(cleanDb);
  const incoming = path.join(dir, 'incoming');
  mkdirSync(incoming);
  const db = path.join(dir, 'anomalies.db');
  const port = await freePort();
  const config = writeConfig(path.join(dir, 'config.yaml'), { model: DEFAULT_MODEL, port, db, spool: incoming, settleSeconds: 0 });

  const d = new DaemonProcess(config, port);
  await d.waitReady(90_000);
  copyFileSync(SAMPLE, path.join(incoming, '.a.pcap'));
  renameSync(path.join(incoming, '.a.pcap'), path.join(incoming, 'a.pcap'));
  await d.waitLog(/spool: scoring \S+a\.pcap/, 30_000);
  d.signal('SIGTERM'); // within ~50 ms: its model is still loading
  const { code } = await d.exited;
  assert.equal(code, 0, d.log);
  assert.doesNotMatch(d.log, CRASH);
  assert.match(d.log, /^info: spool: \S+a\.pcap was interrupted; it is scored again, from its start, at the next start$/m);
  assert.doesNotMatch(d.log, /spool: \S+a\.pcap: run \d+/, 'not scored after the SIGTERM');
  const stateFile = path.join(dir, 'state', 'spool-state.json');
  const state = (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {}) as { processed?: Record<string, unknown> };
  assert.deepEqual(Object.keys(state.processed ?? {}), [], 'not recorded as processed');
  assert.ok(replayRuns(db).every(([, status]) => status === 'interrupted'), JSON.stringify(replayRuns(db)));

  const again = new DaemonProcess(config, port);
  await again.waitReady(90_000);
  await again.waitLog(/spool: \S+a\.pcap: run \d+/, 60_000);
  const r = await again.stop(60_000);
  assert.equal(r.code, 0, again.log);
  assert.deepEqual(replayRuns(db).filter(([, status]) => status === 'finished'), [['a.pcap', 'finished', packets, rows]]);
});
