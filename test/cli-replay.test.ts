import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { committedSample } from './helpers/samples';
import { runCli, tempDir } from './helpers/cli';
import { PACKAGE_ROOT } from '../src/paths';

/** Minimal RFC 4180 reader (quoted fields with commas, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else if (c !== '\r') cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

function tsharkCount(file: string): number {
  return execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n').length;
}

// The README's main command replays this committed sample: on every clone, with or without ../shared.
test('replay of the README sample with the shipped model: every output agrees', () => {
  const dir = tempDir('replay');
  const pcap = committedSample('lan-portscan.pcap');
  const r = runCli(['replay', pcap, '--db', 'a.db', '--csv', 'a.csv', '--jsonl', 'a.jsonl', '--scores-csv', 's.csv', '--plot', 'p.svg'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const m = /anomalies (\d+)\s+incidents (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [anomalies, incidents] = [Number(m[1]), Number(m[2])];

  // --scores-csv: exactly one row per packet, frames 1..n as tshark numbers them
  const scores = parseCsv(readFileSync(path.join(dir, 's.csv'), 'utf8'));
  assert.deepEqual(scores[0], ['frame', 'timestamp', 'score']);
  const n = tsharkCount(pcap);
  assert.equal(scores.length - 1, n);
  assert.deepEqual(scores.slice(1).map((row) => Number(row[0])), Array.from({ length: n }, (_, i) => i + 1));
  const score = (f: number) => Number(scores[f][2]);
  for (let f = 1; f <= n; f++) assert.ok(score(f) >= 0 && score(f) <= 1, `frame ${f} score ${score(f)}`);

  // --plot: nothing is drawn across the capture's longest silence (3.3 s before the scan; a line
  // joining the points once drew a ramp up to the scan over it).
  const ts = scores.slice(1).map((row) => Number(row[1]));
  let gap = 1;
  for (let i = 2; i < ts.length; i++) if (ts[i]! - ts[i - 1]! > ts[gap]! - ts[gap - 1]!) gap = i;
  const px = (t: number): number => 64 + ((t - ts[0]!) / (ts[ts.length - 1]! - ts[0]!)) * 1112;
  const [quietFrom, quietTo] = [px(ts[gap - 1]! + 0.1), px(ts[gap]! - 0.1)];
  const plot = readFileSync(path.join(dir, 'p.svg'), 'utf8');
  for (const m of plot.matchAll(/<polyline class="score"[^>]* points="([^"]+)"|<path class="score"[^>]* d="([^"]+)"/g)) {
    const xs = m[1] ? m[1].split(' ').map((c) => Number(c.split(',')[0])) : [...m[2]!.matchAll(/[MH]([\d.]+)/g)].map((c) => Number(c[1]));
    assert.ok(!(Math.min(...xs) < quietFrom && Math.max(...xs) > quietTo), `the plot draws across the silence ${ts[gap - 1]}–${ts[gap]}`);
  }
  assert.equal((plot.match(/<rect class="incident-mark"/g) ?? []).length, incidents, 'one mark per incident');

  // (How well the shipped model finds the scan is checked loosely in samples-committed.test.ts;
  // quality figures are measured by `npm run quality` and reported in docs/quality.md.)

  // SQLite, CSV, JSONL and the summary agree
  const db = new Database(path.join(dir, 'a.db'), { readonly: true });
  const run = db.prepare('SELECT * FROM runs').get() as { id: number; packets: number; anomalies: number; incidents: number; status: string };
  assert.equal(run.status, 'finished');
  assert.equal(run.packets, n);
  assert.equal(run.anomalies, anomalies);
  assert.equal(run.incidents, incidents);
  const dbRows = (db.prepare('SELECT COUNT(*) AS c FROM anomalies').get() as { c: number }).c;
  assert.equal(dbRows, anomalies);
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM incidents').get() as { c: number }).c, incidents);
  // every anomaly row is a packet whose score in scores.csv reached the threshold
  for (const a of db.prepare('SELECT frame, score, threshold FROM anomalies').all() as Array<{ frame: number; score: number; threshold: number }>) {
    assert.ok(Math.abs(score(a.frame) - a.score) < 1e-5 && a.score >= a.threshold);
  }
  db.close();
  const csv = parseCsv(readFileSync(path.join(dir, 'a.csv'), 'utf8'));
  assert.equal(csv.length - 1, anomalies);
  const jsonl = readFileSync(path.join(dir, 'a.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(jsonl.filter((o) => o.type === 'anomaly').length, anomalies);
  assert.ok(readFileSync(path.join(dir, 'p.svg'), 'utf8').startsWith('<svg'));
});

test('the README example queries run against a replay database', () => {
  const dir = tempDir('queries');
  const r = runCli(['replay', committedSample('lan-portscan.pcap'), committedSample('lan-dnsshell.pcap'), '--db', 'q.db', '--no-csv', '--threshold', '0.01', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const queries = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((q) => q[1]);
  assert.ok(queries.length >= 5, `README has ${queries.length} sql blocks`);
  const db = new Database(path.join(dir, 'q.db'), { readonly: true });
  const total = (db.prepare('SELECT COUNT(*) AS c FROM anomalies').get() as { c: number }).c;
  assert.ok(total > 0);
  // "today" in a query means the day of the newest capture packet here (the samples are old)
  const day = (db.prepare("SELECT date(MAX(ts), 'unixepoch') AS d FROM anomalies").get() as { d: string }).d;
  for (const raw of queries) {
    const q = raw.replace(/'now'/g, `'${day}'`);
    const out = execFileSync('sqlite3', ['-header', '-csv', path.join(dir, 'q.db'), q], { encoding: 'utf8' });
    assert.ok(out.trim().split('\n').length >= 2, `query returned no rows:\n${q}\n${out}`);
  }
  // "top source hosts" (the first query) counts every anomaly row, whatever its source
  const first = execFileSync('sqlite3', ['-csv', path.join(dir, 'q.db'), queries[0].replace(/LIMIT \d+/i, '')], { encoding: 'utf8' });
  const sum = first.trim().split('\n').reduce((s, line) => s + Number(line.split(',')[1]), 0);
  assert.equal(sum, total);
  db.close();
});

test('an unwritable output fails before any work, with exit code 5', () => {
  const r = runCli(['replay', committedSample('lan-benign.pcap'), '--db', '/proc/nope/a.db']);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /LLN_E_OUTPUT: cannot write \/proc\/nope\/a.db/);
  assert.doesNotMatch(r.stderr, /model /); // the model was never loaded
});

test('a missing capture fails with a one-line error and exit code 3', () => {
  const r = runCli(['replay', '/nonexistent/x.pcap', '--no-db', '--no-csv']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /LLN_E_NOT_FOUND/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a truncated capture scores every complete packet and says what was cut', () => {
  const dir = tempDir('trunc');
  const bytes = readFileSync(committedSample('lan-benign.pcap'));
  const { writeFileSync } = require('node:fs') as typeof import('node:fs');
  const cut = path.join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
  // tshark prints the complete packets, then exits non-zero for the cut one
  const complete = spawnSync('tshark', ['-r', cut, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).length;
  const r = runCli(['replay', cut, '--no-db', '--no-csv', '--scores-csv', 's.csv', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /LLN_E_TRUNCATED/);
  // Said once (one stderr line, not again in the summary on stdout), and each thing once within it.
  const loud = runCli(['replay', cut, '--no-db', '--no-csv'], { cwd: dir });
  assert.equal(loud.code, 0, loud.stderr);
  const said = (loud.stdout + loud.stderr).split('\n').filter((l) => /cut short/.test(l));
  assert.equal(said.length, 1, loud.stdout + loud.stderr);
  assert.match(said[0]!, /^warn: LLN_E_TRUNCATED: \S*cut\.pcap: last record at byte \d+ is cut short \(\d+ of \d+ bytes\); all complete packets before it were read \(was the capture still being written\?\)$/);
  assert.equal(said[0]!.match(/byte \d+/g)!.length, 1, 'the byte offset once');
  assert.equal(said[0]!.match(/complete packet/g)!.length, 1, 'the reassurance once');
  const rows = readFileSync(path.join(dir, 's.csv'), 'utf8').trim().split('\n').length - 1;
  assert.ok(complete > 200, `tshark read ${complete}`);
  assert.equal(rows, complete);
  assert.ok(existsSync(path.join(dir, 's.csv')));
});

test('replay --plot of a one-packet capture draws that packet, flagged, inside a visible incident band', () => {
  const dir = tempDir('plot1');
  const bytes = readFileSync(committedSample('lan-portscan.pcap'));
  const first = 24 + 16 + bytes.readUInt32LE(24 + 8); // global header + record header + incl_len (little-endian file)
  const { writeFileSync } = require('node:fs') as typeof import('node:fs');
  writeFileSync(path.join(dir, 'one.pcap'), bytes.subarray(0, first));
  // --threshold 0 flags the one packet whatever the model thinks of it.
  const r = runCli(['replay', 'one.pcap', '--no-db', '--no-csv', '--threshold', '0', '--plot', 'p.svg'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /packets 1 .*anomalies 1\s+incidents 1/);
  const svg = readFileSync(path.join(dir, 'p.svg'), 'utf8');
  assert.equal((svg.match(/<circle class="flagged"/g) ?? []).length, 1, svg);
  const band = svg.match(/<rect class="incident"[^>]* width="([\d.]+)"/);
  assert.ok(band && Number(band[1]) >= 6, svg);
});
