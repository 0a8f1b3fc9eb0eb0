import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleConfig, loadConfig, parseConfig } from '../src/daemon/config-load';
import { isLlnError } from '../src/errors';
import { PACKAGE_ROOT } from '../src/paths';

const FILE = '/etc/lln-detect/config.yaml';

function configError(yamlText: string): string {
  try {
    parseConfig(yamlText, FILE);
  } catch (e) {
    assert.ok(isLlnError(e) && e.code === 'LLN_E_CONFIG', `LLN_E_CONFIG expected, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message;
  }
  assert.fail('config accepted');
}

test('the shipped example is the text exampleConfig() returns, and it validates', () => {
  const text = readFileSync(path.join(PACKAGE_ROOT, 'config.example.yaml'), 'utf8');
  assert.equal(exampleConfig(), text);
  const c = parseConfig(text, FILE);
  assert.deepEqual(c.interfaces, [{ name: 'eth0' }]);
  assert.equal(c.outputs.sqlite, '/var/lib/lln-detect/anomalies.db');
  assert.equal(c.metrics.listen, '127.0.0.1:9910');
  assert.equal(c.logging.format, 'json');
  assert.equal(c.alerts.incidentGapSeconds, 5);
});

test('defaults fill what is left out; relative paths resolve against the config file', () => {
  const c = parseConfig('spool:\n  dir: spool\n  processedDir: ./done\noutputs:\n  sqlite: db/a.db\n  jsonl: {path: stdout}\n  csv: {path: out.csv, rotate: {daily: true}}\n', FILE);
  assert.deepEqual(c.interfaces, []);
  assert.deepEqual(c.spool, { dir: '/etc/lln-detect/spool', processedDir: '/etc/lln-detect/done', settleSeconds: 10 });
  assert.equal(c.outputs.sqlite, '/etc/lln-detect/db/a.db');
  assert.deepEqual(c.outputs.jsonl, { path: 'stdout' });
  assert.deepEqual(c.outputs.csv, { path: '/etc/lln-detect/out.csv', rotate: { daily: true } });
  assert.equal(c.stateDir, '/var/lib/lln-detect');
  assert.deepEqual(c.alerts, { maxRowsPerIncident: 1000, maxRowsPerSourcePerMinute: 600, incidentGapSeconds: 5 });
  assert.deepEqual(c.metrics, { enabled: true, listen: '127.0.0.1:9910', allowNonLoopback: false, excludeOwnTraffic: true });
  assert.equal(parseConfig('interfaces: [{name: lo}]\noutputs: {sqlite: false}\n', FILE).outputs.sqlite, false);
  // Overload shedding is on unless turned off (docs/daemon.md, "Overload").
  assert.deepEqual(c.overload, { shed: true });
  assert.deepEqual(parseConfig('interfaces: [{name: lo}]\noverload: {shed: false}\n', FILE).overload, { shed: false });
});

test('errors name the file, the key path, the bad value and what is allowed', () => {
  assert.equal(
    configError('interfaces:\n  - name: eth0\n    snaplen: big\n'),
    `config ${FILE}: interfaces[0].snaplen: expected a whole number between 64 and 262144, got 'big'`,
  );
  assert.equal(configError('interfaces:\n  - name: eth0\n    snaplen: 10\n'), `config ${FILE}: interfaces[0].snaplen: expected a whole number between 64 and 262144, got 10`);
  assert.match(configError('interfaces:\n  - name: eth0\n    promiscous: true\n'), /interfaces\[0\]: unknown key 'promiscous'/);
  assert.match(configError('interfaces: [{name: eth0}]\nmodell: {}\n'), /\(top level\): unknown key 'modell' \(did you mean 'model'\?\)/);
  // A misspelt required key is reported as the typo it is, not as the real key missing.
  assert.equal(configError('interfaces:\n  - nme: eth0\n'), `config ${FILE}: interfaces[0]: unknown key 'nme' (did you mean 'name'?)`);
  assert.match(configError('interfaces: [{name: eth0}]\noutputs: {sqllite: a.db, csvv: {path: a.csv}}\n'), /outputs: unknown keys 'sqllite', 'csvv' \(did you mean 'sqllite' → 'sqlite', 'csvv' → 'csv'\?\)/);
  assert.match(configError('interfaces: [{name: eth0}]\nzzz: 1\n'), /unknown key 'zzz' \(allowed here: interfaces, spool, model, window, overload, outputs, alerts, logging, metrics, stateDir, learning, user\)/);
  // The learning keys: durations, sizes and typos get the same one-line errors.
  assert.equal(configError('interfaces: [{name: eth0}]\nlearning: {period: soon}\n'), `config ${FILE}: learning.period: expected a duration such as '90s', '30m', '12h', '7d' or '2w', got 'soon'`);
  assert.match(configError('interfaces: [{name: eth0}]\nlearning: {spool: {maxBytes: lots}}\n'), /learning\.spool\.maxBytes: expected a size such as '512MB' or '2GB', got 'lots'/);
  assert.match(configError('interfaces: [{name: eth0}]\nlearning: {retrain: {evry: 7d}}\n'), /learning\.retrain: unknown key 'evry' \(did you mean 'every'\?\)/);
  assert.match(configError('interfaces: [{name: eth0}]\nlearning: {check: {maxFpr: 2}}\n'), /learning\.check\.maxFpr: expected a number between 0 and 1, got 2/);
  assert.match(configError('interfaces: [{name: eth0}]\nlogging: {level: loud}\n'), /logging\.level: expected one of error, warn, info, debug, got 'loud'/);
  assert.match(configError('interfaces: [{name: eth0}]\nmodel: {threshold: 2}\n'), /model\.threshold: expected a number between 0 and 1, got 2/);
  assert.match(configError('interfaces: [{name: eth0}, {name: eth0}]\n'), /interfaces\[1\]\.name: expected a name not already listed, got 'eth0'/);
  assert.match(configError('interfaces: [{name: eth0}]\nwindow: {size: 8, stride: 9}\n'), /window\.stride: expected a stride no larger than window\.size \(8\), got 9/);
  assert.match(configError('{}\n'), /interfaces: expected at least one interface, or a spool directory/);
  assert.match(configError('- just\n- a list\n'), /expected a mapping of settings/);
});

test('every problem is named in the one line, typos first; a pathological file names the first 10', () => {
  // Seen on main: "(and 1 more problem)" and never a word about 'lerning'.
  assert.equal(
    configError('interfaces:\n  - name: eth0\n    filtr: udp\nlerning:\n  enabled: true\n'),
    `config ${FILE}: 2 problems: 1. interfaces[0]: unknown key 'filtr' (did you mean 'filter'?); 2. (top level): unknown key 'lerning' (did you mean 'learning'?)`,
  );
  // A typo and a bad value: both, the typo first.
  assert.equal(
    configError('interfaces:\n  - name: eth0\n    snaplen: big\nlogging: {levl: info}\n'),
    `config ${FILE}: 2 problems: 1. logging: unknown key 'levl' (did you mean 'level'?); 2. interfaces[0].snaplen: expected a whole number between 64 and 262144, got 'big'`,
  );
  // A misspelt required key is one problem, not also "name missing"; another missing name still counts.
  assert.equal(
    configError('interfaces:\n  - nme: eth0\n  - filter: udp\n'),
    `config ${FILE}: 2 problems: 1. interfaces[0]: unknown key 'nme' (did you mean 'name'?); 2. interfaces[1].name: expected an interface name (see: lln-detect interfaces), got nothing`,
  );
  const many = configError(`interfaces:\n${Array.from({ length: 15 }, (_, i) => `  - name: eth${i}\n    snaplen: ${i}\n`).join('')}`);
  assert.match(many, /^config \/etc\/lln-detect\/config\.yaml: 15 problems: 1\. interfaces\[0\]\.snaplen: expected a whole number/);
  assert.match(many, /; 10\. interfaces\[9\]\.snaplen: [^;]*, got 9; and 5 more$/);
  assert.doesNotMatch(many, /interfaces\[10\]/);
});

test('user: left out means the default user; root, "" or an empty value keep root; a bad name is an error', () => {
  const user = (yaml: string) => parseConfig(`interfaces: [{name: eth0}]\n${yaml}`, FILE).user;
  assert.equal(user(''), undefined);
  assert.equal(user('user: lln-detect\n'), 'lln-detect');
  assert.equal(user('user: root\n'), 'root');
  assert.equal(user('user: ""\n'), '');
  assert.equal(user('user:\n'), '', 'an empty value is "no user to drop to", not the default');
  assert.match(configError('interfaces: [{name: eth0}]\nuser: "a b"\n'), /user: expected a user name, or 'root' \/ '' to keep root, got 'a b'/);
  assert.match(configError('interfaces: [{name: eth0}]\nuser: 998\n'), /user: expected a user name/);
});

test('metrics must listen on loopback unless allowNonLoopback is set', () => {
  assert.match(configError('interfaces: [{name: eth0}]\nmetrics: {listen: "0.0.0.0:9910"}\n'), /metrics\.listen: expected a loopback address .*allowNonLoopback: true, got '0\.0\.0\.0:9910'/);
  assert.match(configError('interfaces: [{name: eth0}]\nmetrics: {listen: "localhost"}\n'), /metrics\.listen: expected host:port/);
  assert.equal(parseConfig('interfaces: [{name: eth0}]\nmetrics: {listen: "0.0.0.0:9910", allowNonLoopback: true}\n', FILE).metrics.listen, '0.0.0.0:9910');
  assert.equal(parseConfig('interfaces: [{name: eth0}]\nmetrics: {listen: "[::1]:9910"}\n', FILE).metrics.listen, '[::1]:9910');
  assert.equal(parseConfig('interfaces: [{name: eth0}]\nmetrics: {listen: "127.0.0.2:1"}\n', FILE).metrics.listen, '127.0.0.2:1');
});

test('YAML syntax errors and duplicate keys give line:col; missing files say what to do', () => {
  assert.equal(configError('interfaces:\n  - name: eth0\n bad: indent\n'), `config ${FILE}: line 3:1: All mapping items must start at the same column`);
  assert.match(configError('stateDir: /a\nstateDir: /b\n'), /line 2:1: Map keys must be unique/);
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-config-'));
  try {
    const missing = path.join(dir, 'missing.yaml');
    assert.throws(() => loadConfig(missing), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_CONFIG' && e.message === `config ${missing}: no such file; start from the example: lln-detect config example > ${missing}`);
    assert.throws(() => loadConfig(dir), /is a directory/);
    const f = path.join(dir, 'c.yaml');
    writeFileSync(f, 'interfaces: [{name: lo}]\nstateDir: state\n');
    assert.equal(loadConfig(f).stateDir, path.join(dir, 'state'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
