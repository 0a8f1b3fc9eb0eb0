import { test } from 'node:test';
import assert from 'node:assert/strict';
import { committedSample } from './helpers/samples';
import { runCli, tempDir } from './helpers/cli';
import { oneLine } from '../src/logger';

test('--log-level warn hides info lines, the scoring worker\'s "tfjs backend" line too', () => {
  const dir = tempDir('loglevel');
  const quiet = runCli(['--log-level', 'warn', 'replay', committedSample('lan-benign.pcap'), '--no-db', '--no-csv', '--quiet'], { cwd: dir });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /tfjs backend/);
  assert.doesNotMatch(quiet.stderr, /info/);
  // --quiet alone is as quiet (it hides info lines unless a level is given)...
  const hushed = runCli(['replay', committedSample('lan-benign.pcap'), '--no-db', '--no-csv', '--quiet'], { cwd: dir });
  assert.equal(hushed.code, 0, hushed.stderr);
  assert.equal(hushed.stderr, '');
  // ...and the line is there at the default level, in the requested (text) format.
  const loud = runCli(['--log-level', 'info', 'replay', committedSample('lan-benign.pcap'), '--no-db', '--no-csv', '--quiet'], { cwd: dir });
  assert.equal(loud.code, 0, loud.stderr);
  assert.match(loud.stderr, /^info: tfjs backend: \w+/m);
});

test('oneLine: every kind of line break (with the blanks around it) becomes one space', () => {
  assert.equal(oneLine('a\nb\r\nc\rd\u0085e\u2028f\u2029g'), 'a b c d e f g');
  assert.equal(oneLine('reasons:\n1. one\n   2. two\n'), 'reasons: 1. one 2. two');
  assert.equal(oneLine('plain'), 'plain');
});
