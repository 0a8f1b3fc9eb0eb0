import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { featureNames } from '../src/features/schema';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { PACKAGE_ROOT } from '../src/paths';
import { committedSample } from './helpers/samples';
import { runCli, tempDir } from './helpers/cli';

/**
 * What the README (and docs/) say the program prints or does must be what it prints and does:
 * feature names in explanation examples exist, the threshold floors are the recipe's and the
 * shipped model's, and the output blocks scripts/readme-example.sh writes are a real run's.
 */
const README = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
const DOCS = ['README.md', ...readdirSync(path.join(PACKAGE_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'samples/README.md'];

test('every feature an example explanation names (name=+6.0σ) is in the feature schema', () => {
  const names = new Set(featureNames());
  let seen = 0;
  for (const doc of DOCS) {
    const text = readFileSync(path.join(PACKAGE_ROOT, doc), 'utf8');
    for (const m of text.matchAll(/([a-z][a-z0-9_]*)=[+-−]?\d+(?:\.\d+)?σ/g)) {
      seen++;
      assert.ok(names.has(m[1]!), `${doc}: ${m[0]} names no feature of src/features/schema.ts`);
    }
  }
  assert.ok(seen >= 5, `${seen} examples found`);
});

test('the README states the threshold floors that are true: the recipe\'s for a trained model, threshold.json\'s for the shipped one', () => {
  const shipped = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'models/default/threshold.json'), 'utf8')) as { value: number; floor: number };
  const flat = README.replace(/\s+/g, ' ').replace(/\*\*/g, '');
  const floors = [...flat.matchAll(/never below (0\.\d+)/g)].map((m) => Number(m[1]));
  assert.ok(floors.length >= 2, 'both "Scoring semantics" and "Training" state the floor');
  for (const f of floors) assert.equal(f, TRAINING_DEFAULTS.thresholdFloor, `"never below ${f}": the recipe's floor is ${TRAINING_DEFAULTS.thresholdFloor}`);
  const said = [...flat.matchAll(/[Tt]he shipped model's threshold is (0\.\d+)/g)].map((m) => Number(m[1]));
  assert.ok(said.length >= 1, 'the shipped model\'s threshold is stated');
  for (const v of said) assert.equal(v, shipped.value);
  assert.match(flat, new RegExp(`"floor": ${shipped.floor}`));
});

/** The ``` block after `<!-- readme-output: NAME -->`. */
function block(name: string): string {
  const m = new RegExp(`<!-- readme-output: ${name} -->\\s*\`\`\`\\n([\\s\\S]*?)\`\`\``).exec(README);
  assert.ok(m, `README has the ${name} block`);
  return m[1]!;
}

/** Lines that a rerun reproduces exactly: the elapsed time and rate are dropped; trailing blanks trimmed. */
const stable = (text: string): string[] => text.split('\n').filter((l) => !/^elapsed /.test(l)).map((l) => l.trimEnd());

test('the README\'s replay and explanation blocks are what the program prints now', () => {
  const dir = tempDir('readme-drift');
  const main = runCli(['replay', committedSample('lan-portscan.pcap')], { cwd: dir });
  assert.equal(main.code, 0, main.stderr);
  // The block: `$ lln-detect replay …`, its output, then `$ sqlite3 …` and the query's rows.
  const shown = block('replay-portscan').split('\n');
  const replayShown = shown.slice(1, shown.findIndex((l) => l.startsWith('$ sqlite3')));
  assert.deepEqual(stable(replayShown.join('\n')).filter(Boolean), stable(main.stdout).filter(Boolean), 'scripts/readme-example.sh --write regenerates it');

  const shell = runCli(['replay', committedSample('lan-dnsshell.pcap'), '--db', 'shell.db', '--no-csv', '--quiet'], { cwd: dir });
  assert.equal(shell.code, 0, shell.stderr);
  const lines = block('explanations').split('\n');
  const query = /^\$ sqlite3 -header -column shell\.db "(.*)"$/.exec(lines[1]!);
  assert.ok(query, lines[1]);
  const rows = spawnSync('sqlite3', ['-header', '-column', path.join(dir, 'shell.db'), query[1]!], { encoding: 'utf8' });
  assert.equal(rows.status, 0, rows.stderr);
  assert.deepEqual(stable(lines.slice(2).join('\n')).filter(Boolean), stable(rows.stdout).filter(Boolean));
  assert.match(rows.stdout, /dns_not_dns=\+\d\.\dσ/, 'the shell\'s reply on port 53 is explained by dns_not_dns');
});
