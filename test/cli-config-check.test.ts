import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, tempDir } from './helpers/cli';

/**
 * `lln-detect config check` through the real CLI: it says `ok` only for what holds. Interfaces
 * are looked up, BPF filters compiled on the interface (root: a handle opened and closed before a
 * packet is read), the model directory loaded; what cannot be checked is a warning.
 */
const IS_ROOT = process.getuid?.() === 0;
const SKIP_NOT_ROOT = IS_ROOT ? false : 'compiling a filter on an interface needs CAP_NET_RAW: skipping';
const dir = tempDir('config-check');
after(() => rmSync(dir, { recursive: true, force: true }));

function check(yaml: string, name: string, prefix: string[] = []) {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  const cmd = [...prefix, process.execPath, CLI, 'config', 'check', file];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, LLN_LOG_FORMAT: 'text', LLN_LOG_LEVEL: 'warn' }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, file };
}

function llnLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('lln-detect: '));
  assert.equal(lines.length, 1, stderr);
  return lines[0]!;
}

test('a missing file suggests a command that exists, and that command prints a config that checks', () => {
  const file = path.join(dir, 'nope.yaml');
  const r = spawnSync(process.execPath, [CLI, 'config', 'check', file], { encoding: 'utf8' });
  assert.equal(r.status, 7, r.stderr);
  const line = llnLine(r.stderr);
  assert.doesNotMatch(line, /--print-config/);
  const m = /start from the example: lln-detect (config example) > (\S+)$/.exec(line);
  assert.ok(m, line);
  assert.equal(m[2], file);
  const ex = spawnSync(process.execPath, [CLI, ...m[1]!.split(' ')], { encoding: 'utf8' });
  assert.equal(ex.status, 0, ex.stderr);
  assert.match(ex.stdout, /^interfaces:/m);
});

test('an interface that does not exist is an error, not ok', () => {
  const r = check('interfaces:\n  - name: eth9\n', 'eth9.yaml');
  assert.equal(r.status, 7, r.stderr + r.stdout);
  assert.match(r.stdout, /^interface eth9: error: no such capture interface; interfaces here: .*\blo\b/m);
  assert.doesNotMatch(r.stdout, /: ok$/m);
  assert.match(llnLine(r.stderr), /^lln-detect: LLN_E_CONFIG: config .*eth9\.yaml: interface eth9: no such capture interface/);
});

test('a model directory that does not load is an error', () => {
  mkdirSync(path.join(dir, 'empty-model'), { recursive: true });
  const r = check('interfaces: []\nspool:\n  dir: .\nmodel:\n  dir: empty-model\n', 'model.yaml');
  assert.equal(r.status, 7, r.stderr + r.stdout);
  assert.match(r.stdout, /^model .*empty-model: error: .*model\.json/m);
  assert.match(llnLine(r.stderr), /LLN_E_CONFIG: .*model .*empty-model/);
});

test('the shipped model and an existing spool directory are ok; a missing spool directory is a warning', () => {
  const r = check('spool:\n  dir: .\n', 'spool.yaml');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^model .*models\/default: ok: loads: default@\w+, window \d+/m);
  assert.match(r.stdout, /^spool\.dir .*: ok: exists$/m);
  assert.match(r.stdout, /spool\.yaml: ok$/m);
  const w = check('spool:\n  dir: not-there\n', 'nospool.yaml');
  assert.equal(w.status, 0, w.stderr + w.stdout);
  assert.match(w.stdout, /^spool\.dir .*not-there: warning: does not exist/m);
  assert.match(w.stdout, /nospool\.yaml: ok, with 1 warning$/m);
});

test('a bad BPF filter is an error naming libpcap\'s complaint; a good one compiles, with the metrics port left out', { skip: SKIP_NOT_ROOT }, () => {
  const bad = check('interfaces:\n  - name: lo\n    filter: "udp and port banana"\n', 'bad-filter.yaml');
  assert.equal(bad.status, 7, bad.stderr + bad.stdout);
  assert.match(bad.stdout, /^interface lo: error: bad BPF filter .*udp and port banana.*banana/m);
  const good = check('interfaces:\n  - name: lo\n    filter: "udp or tcp"\n', 'good-filter.yaml');
  assert.equal(good.status, 0, good.stderr + good.stdout);
  assert.match(good.stdout, /^interface lo: ok: exists; filter '\(udp or tcp\) and not \(tcp port 9910\)' compiles$/m);
  assert.match(good.stdout, /good-filter\.yaml: ok$/m);
});

test('without CAP_NET_RAW a filter is a warning that says why it was not compiled, never ok', { skip: SKIP_NOT_ROOT }, (t) => {
  if (spawnSync('setpriv', ['--version']).status !== 0) return t.skip('setpriv not installed: skipping');
  const drop = ['setpriv', '--bounding-set=-net_raw,-net_admin', '--inh-caps=-net_raw,-net_admin'];
  const r = check('interfaces:\n  - name: lo\n    filter: "udp and port banana"\n', 'unpriv.yaml', drop);
  if (r.status === null || /setpriv:/.test(r.stderr)) return t.skip(`setpriv could not drop capabilities here (${r.stderr.trim()}): skipping`);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^interface lo: warning: exists; filter .*banana.* not compiled: opening the interface needs CAP_NET_RAW/m);
  assert.match(r.stdout, /unpriv\.yaml: ok, with 1 warning$/m);
});

test('every problem is named in the last line: each misspelt key, each failed check', () => {
  const typo = check('interfaces:\n  - name: lo\n    filtr: udp\nlerning:\n  enabled: true\n', 'typo.yaml');
  assert.equal(typo.status, 7, typo.stderr + typo.stdout);
  assert.match(llnLine(typo.stderr), /: 2 problems: 1\. interfaces\[0\]: unknown key 'filtr' \(did you mean 'filter'\?\); 2\. \(top level\): unknown key 'lerning' \(did you mean 'learning'\?\)$/);
  const two = check('interfaces:\n  - name: eth9\n  - name: eth8\n', 'eth98.yaml');
  assert.equal(two.status, 7, two.stderr + two.stdout);
  assert.match(llnLine(two.stderr), /eth98\.yaml: 2 problems: 1\. interface eth9: no such capture interface; .*; 2\. interface eth8: no such capture interface;/);
});
