/**
 * A connection met mid-stream has no opening (src/pipeline/flow-hold.ts): the real
 * dns-remoteshell capture with and without the shell connection's handshake, replayed with the
 * shipped model through the CLI into a real SQLite file.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from './helpers/cli';
import { SKIP_NO_SAMPLES, sample } from './helpers/samples';

const tmp = mkdtempSync(path.join(tmpdir(), 'lln-detect-midstream-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a little-endian classic pcap without the frames in `drop` (1-based). */
function withoutFrames(file: string, drop: Set<number>, name: string): string {
  const b = readFileSync(file);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, `${file}: a little-endian microsecond pcap`);
  const parts = [b.subarray(0, 24)];
  for (let off = 24, frame = 1; off + 16 <= b.length; frame++) {
    const end = off + 16 + b.readUInt32LE(off + 8);
    if (!drop.has(frame)) parts.push(b.subarray(off, end));
    off = end;
  }
  const out = path.join(tmp, name);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

/** The rows of frames >= first: frame and whether its score is a held verdict. */
function rows(file: string, db: string, first: number): Array<{ frame: number; held: boolean }> {
  const r = runCli(['replay', file, '--db', db, '--no-csv', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const d = new Database(db, { readonly: true });
  const out = (d.prepare('SELECT frame, top_features AS top FROM anomalies WHERE frame >= ? ORDER BY frame').all(first) as Array<{ frame: number; top: string }>)
    .map((x) => ({ frame: x.frame, held: /^(?:flow|service) verdict of frame/.test(x.top) }));
  d.close();
  return out;
}

/** The shell connection (TCP 1396 → 53) opens at frame 14: SYN 14 and 16, SYN-ACK 17 and 19, ACK 18 and 20; its data from 21. */
const HANDSHAKE = [14, 15, 16, 17, 18, 19, 20];

test('a connection met mid-stream keeps its own scores: the shell without its handshake holds no verdict', { skip: SKIP_NO_SAMPLES }, () => {
  const whole = rows(sample('dns-remoteshell.pcap'), path.join(tmp, 'whole.db'), 21);
  const heldWhole = whole.filter((r) => r.held).length;
  assert.ok(heldWhole >= 5, `with its handshake, ${heldWhole} of the shell's flagged frames hold its opening's verdict`);
  const joined = withoutFrames(sample('dns-remoteshell.pcap'), new Set(HANDSHAKE), 'joined.pcap');
  // Frame 21 of the original is frame 14 of the copy.
  const cut = rows(joined, path.join(tmp, 'joined.db'), 14);
  const held = cut.filter((r) => r.held).map((r) => r.frame);
  assert.deepEqual(held, [], `met at its first data segment, the connection has no opening to hold (${cut.length} frames flagged on their own scores)`);
});
