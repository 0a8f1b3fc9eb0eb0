import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL, tempDir } from './helpers/cli';
import { children, DaemonProcess, freePort, sleep } from './helpers/daemon-harness';

/**
 * What an operator reads in the daemon's log: the worker thread's lines (tfjs backend) in the
 * configured format, no colour codes in a log file, and one record per line even when an error
 * quotes tfjs's multi-line message. A real daemon (spool only: no capture privileges needed).
 */
const dir = tempDir('daemon-logging');
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const TEXT_LINE = /^(error|warn|info|debug): /;
const FILE_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|info|debug): /;

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('daemon, logging.format text + file: worker lines are text, the file has no ANSI codes, a multi-line reload error stays one record', { timeout: 90_000 }, async () => {
  const model = path.join(dir, 'model');
  cpSync(DEFAULT_MODEL, model, { recursive: true });
  mkdirSync(path.join(dir, 'spool'));
  const logFile = path.join(dir, 'lln.log');
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, [
    'interfaces: []', `spool: {dir: ${path.join(dir, 'spool')}, settleSeconds: 1}`, `model: {dir: ${model}}`,
    `outputs: {sqlite: ${path.join(dir, 'a.db')}}`, `logging: {level: info, format: text, file: ${logFile}}`,
    `metrics: {listen: "127.0.0.1:${port}"}`, `stateDir: ${path.join(dir, 'state')}`, 'user: root',
  ].join('\n') + '\n');
  const d = new DaemonProcess(config, port);
  await d.waitReady();
  // Logged by the scoring worker thread, which has no config of its own.
  await d.waitLog(/tfjs backend: /);
  assert.match(d.log, /^info: tfjs backend: \w+/m, d.log);
  assert.doesNotMatch(d.log, /^\{"level"/m, 'no JSON line in a text log');

  // tfjs's "Unknown layer" error spans several lines: the reload error quotes it.
  const json = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8'));
  json.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
  writeFileSync(path.join(model, 'model.json'), JSON.stringify(json));
  d.signal('SIGHUP');
  await d.waitLog(/reload failed/);
  await waitFor('the reload error in the log file', () => existsSync(logFile) && /reload failed/.test(readFileSync(logFile, 'utf8')));
  const { code } = await d.stop();
  assert.equal(code, 0, d.log);

  const stderrLines = d.log.split('\n').filter(Boolean);
  for (const l of stderrLines) assert.match(l, TEXT_LINE, `every stderr line is one record:\n${d.log}`);
  const reload = stderrLines.filter((l) => /reload failed/.test(l));
  assert.equal(reload.length, 1);
  assert.match(reload[0]!, /Unknown layer: NoSuchLayer.* 1\. .* 2\. /);

  const file = readFileSync(logFile, 'utf8');
  assert.doesNotMatch(file, /\x1b\[/, 'no ANSI colour codes in the file');
  const fileLines = file.split('\n').filter(Boolean);
  for (const l of fileLines) assert.match(l, FILE_LINE, `every file line is one text record:\n${file}`);
  assert.ok(fileLines.some((l) => / info: tfjs backend: /.test(l)), 'the worker line reaches the file too');
  assert.equal(fileLines.filter((l) => /reload failed/.test(l)).length, 1);
});
