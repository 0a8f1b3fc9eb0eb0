/**
 * The captures committed in samples/ (what a plain clone replays): they are what their recipe
 * writes, they stay small, cutting frames at the snaplen changes no feature, and the README's
 * main command finds its attack in the main sample.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { generateCapture } from '../src/generator/generate-capture';
import { PACKAGE_ROOT } from '../src/paths';
import { MAIN_SAMPLE, SAMPLE_CAPTURES } from '../scripts/sample-recipe';
import { runCli, tempDir } from './helpers/cli';

const SAMPLES = path.join(PACKAGE_ROOT, 'samples');

test('every committed sample is what its recipe writes, and small', async () => {
  const dir = tempDir('samples');
  for (const c of SAMPLE_CAPTURES) {
    const out = path.join(dir, c.name);
    const labelsOut = c.scenarios.length > 0 ? out.replace(/\.pcap$/, '.labels.csv') : undefined;
    await generateCapture({ out, labelsOut, ...c.options, scenarios: c.scenarios });
    const committed = path.join(SAMPLES, c.name);
    assert.ok(statSync(committed).size <= 64 * 1024, `${c.name} is larger than 64 KiB`);
    assert.ok(readFileSync(committed).equals(readFileSync(out)), `${c.name} differs from its recipe: run npm run samples`);
    if (labelsOut) {
      assert.equal(readFileSync(path.join(SAMPLES, path.basename(labelsOut)), 'utf8'), readFileSync(labelsOut, 'utf8'), `${c.name}: labels differ`);
    }
  }
});

test('the snaplen cut leaves every feature as it is in the uncut capture', async () => {
  const dir = tempDir('samples-cut');
  for (const c of SAMPLE_CAPTURES) {
    const uncut = path.join(dir, `uncut-${c.name}`);
    await generateCapture({ out: uncut, ...c.options, snaplen: undefined, scenarios: c.scenarios });
    const rows = (file: string): string[][] => {
      const r = runCli(['features', file, '--raw', '--format', 'csv']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n').map((l) => l.split(','));
    };
    const a = rows(path.join(SAMPLES, c.name));
    const b = rows(uncut);
    assert.equal(a.length, b.length, `${c.name}: packet count`);
    // cap_len is the one decoded column that must differ: it is what the cut changes.
    const capLen = a[0].indexOf('cap_len');
    assert.ok(capLen >= 0);
    for (let i = 1; i < a.length; i++) {
      const x = a[i].filter((_, k) => k !== capLen).join(',');
      const y = b[i].filter((_, k) => k !== capLen).join(',');
      assert.equal(x, y, `${c.name} frame ${i}`);
    }
  }
});

test('README main sample: replay flags the port scan (most attack frames, few others)', () => {
  const dir = tempDir('samples-main');
  const scores = path.join(dir, 'scores.csv');
  const r = runCli(['replay', path.join(SAMPLES, MAIN_SAMPLE), '--db', path.join(dir, 'a.db'), '--csv', path.join(dir, 'a.csv'), '--scores-csv', scores]);
  assert.equal(r.code, 0, r.stderr);
  const labels = new Map<number, number>();
  for (const line of readFileSync(path.join(SAMPLES, MAIN_SAMPLE.replace(/\.pcap$/, '.labels.csv')), 'utf8').trim().split('\n').slice(1)) {
    const [frame, label] = line.split(',');
    labels.set(Number(frame), Number(label));
  }
  // Anomaly rows are the frames at or above the model's own threshold, whatever the model.
  const db = new Database(path.join(dir, 'a.db'), { readonly: true });
  // The incident holding the scan names the scanner and the scanned host.
  const scanIncident = db.prepare('SELECT main_source, main_target FROM incidents WHERE first_frame <= 200 AND last_frame >= 200').get();
  assert.deepEqual(scanIncident, { main_source: '192.168.1.12', main_target: '192.168.1.10' });
  assert.match(r.stdout, /192\.168\.1\.12\s+\d+\s+192\.168\.1\.10\s/);
  const flaggedFrames = new Set((db.prepare('SELECT frame FROM anomalies').all() as Array<{ frame: number }>).map((x) => x.frame));
  db.close();
  let tp = 0, fp = 0, pos = 0, neg = 0;
  for (const line of readFileSync(scores, 'utf8').trim().split('\n').slice(1)) {
    const frame = Number(line.split(',')[0]);
    const flagged = flaggedFrames.has(frame);
    if (labels.get(frame) === 1) { pos++; if (flagged) tp++; } else { neg++; if (flagged) fp++; }
  }
  // Loose on purpose: the shipped model changes; a sane one finds a one-second SYN scan.
  assert.ok(tp / pos >= 0.8, `recall on the scan: ${tp}/${pos}`);
  assert.ok(fp / neg <= 0.5, `benign frames flagged: ${fp}/${neg}`);
});
