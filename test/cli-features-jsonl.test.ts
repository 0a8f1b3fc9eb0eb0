import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './helpers/cli';
import { committedSample } from './helpers/samples';

test('features --format jsonl: timestamp is a JSON number with the capture\'s exact digits', () => {
  const jsonl = runCli(['features', committedSample('lan-benign.pcap'), '--format', 'jsonl', '--limit', '5']);
  const csv = runCli(['features', committedSample('lan-benign.pcap'), '--format', 'csv', '--limit', '5']);
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const lines = jsonl.stdout.trim().split('\n');
  const csvTs = csv.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[1]);
  assert.equal(lines.length, 5);
  lines.forEach((line, i) => {
    const o = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof o.timestamp, 'number');
    assert.equal(o.frame, i + 1);
    assert.match(line, new RegExp(`"timestamp":${csvTs[i].replace('.', '\\.')},`), 'exact decimal text, as in the CSV');
  });
});
