import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isLlnError } from '../src/errors';
import { CsvSink } from '../src/outputs/csv-sink';
import { checkWritable } from '../src/outputs/output-check';
import { ScoresCsvWriter } from '../src/outputs/scores-csv';
import { SqliteSink } from '../src/outputs/sqlite-sink';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fails(target: string, reason: RegExp): void {
  assert.throws(
    () => checkWritable(target),
    (e: unknown) =>
      isLlnError(e) &&
      e.code === 'LLN_E_OUTPUT' &&
      e.message.startsWith(`cannot write ${target}: `) &&
      reason.test(e.message) &&
      e.message.endsWith('choose another path with --db/--csv'),
  );
}

// Tests run as root, which may write almost anywhere: unwritable paths are a path under a
// regular file (ENOTDIR), a missing directory, a directory, /proc and a read-only sysfs file.
test('checkWritable: fails fast with LLN_E_OUTPUT and a reason', () => {
  const aFile = path.join(dir, 'plain.txt');
  writeFileSync(aFile, 'x');
  fails(path.join(aFile, 'alerts.db'), /not a directory/);
  fails(path.join(dir, 'missing', 'alerts.csv'), /does not exist/);
  fails(dir, /is a directory/);
  fails('/proc/lln-detect-alerts.csv', /no such file/);
  // An existing file root may not open for writing (sysfs, read-only attribute).
  if (existsSync('/sys/kernel/notes')) fails('/sys/kernel/notes', /permission denied/);
});

test('checkWritable: accepts a new path without leaving a file, an existing file without changing it, and stdout', () => {
  const fresh = path.join(dir, 'new.csv');
  checkWritable(fresh);
  assert.equal(existsSync(fresh), false);
  const existing = path.join(dir, 'old.csv');
  writeFileSync(existing, 'keep me\n');
  checkWritable(existing);
  assert.equal(readFileSync(existing, 'utf8'), 'keep me\n');
  checkWritable('-');
});

test('sinks opened on unwritable paths fail with their codes, not a crash', () => {
  const aFile = path.join(dir, 'plain2.txt');
  writeFileSync(aFile, 'x');
  const under = path.join(aFile, 'x');
  assert.throws(() => new SqliteSink(under + '.db'), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_DB');
  assert.throws(() => new CsvSink(under + '.csv'), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_OUTPUT');
  assert.throws(() => new ScoresCsvWriter(under + '.csv'), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_OUTPUT');
});
