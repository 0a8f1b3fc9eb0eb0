import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PcapWriter } from '../src/capture/pcap-writer';
import { SeededRandom } from '../src/seeded-random';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pcapParser = require('pcap-parser') as { parse(p: string): NodeJS.EventEmitter };

interface Rec { tsSec: number; tsNsec: number; data: Uint8Array; origLen: number }

function makeRecords(n: number, seed: number): Rec[] {
  const rng = new SeededRandom(seed);
  const out: Rec[] = [];
  let sec = 1_700_000_000;
  for (let i = 0; i < n; i++) {
    sec += rng.int(2);
    const len = 14 + rng.int(200);
    const data = new Uint8Array(len);
    for (let j = 0; j < len; j++) data[j] = rng.int(256);
    out.push({ tsSec: sec, tsNsec: rng.int(1_000_000_000), data, origLen: len + (i % 5 === 0 ? 100 : 0) });
  }
  return out;
}

async function writeFile(file: string, recs: Rec[], opts: { nanosecond?: boolean; bigEndian?: boolean; snaplen?: number }): Promise<void> {
  const w = new PcapWriter(file, { linkType: 1, ...opts });
  for (const r of recs) w.write(r.tsSec, r.tsNsec, r.data, r.origLen);
  await w.close();
}

function tsharkFields(file: string): string[][] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').map((l) => l.split('\t'));
}

function parseWithPcapParser(file: string): Promise<Array<{ sec: number; usec: number; cap: number; orig: number; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    const got: Array<{ sec: number; usec: number; cap: number; orig: number; data: Buffer }> = [];
    const p = pcapParser.parse(file);
    p.on('packet', (pk: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) =>
      got.push({ sec: pk.header.timestampSeconds, usec: pk.header.timestampMicroseconds, cap: pk.header.capturedLength, orig: pk.header.originalLength, data: Buffer.from(pk.data) }));
    p.on('end', () => resolve(got));
    p.on('error', reject);
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'lln-pcapw-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const bigEndian of [false, true]) {
  test(`µs pcap (${bigEndian ? 'big' : 'little'}-endian) round-trips through pcap-parser and tshark`, async () => {
    const recs = makeRecords(300, bigEndian ? 2 : 1);
    const file = path.join(dir, `us-${bigEndian}.pcap`);
    await writeFile(file, recs, { bigEndian });
    const magic = readFileSync(file).subarray(0, 4).toString('hex');
    assert.equal(magic, bigEndian ? 'a1b2c3d4' : 'd4c3b2a1');
    const parsed = await parseWithPcapParser(file);
    assert.equal(parsed.length, recs.length);
    parsed.forEach((p, i) => {
      assert.equal(p.sec, recs[i].tsSec);
      assert.equal(p.usec, Math.floor(recs[i].tsNsec / 1000));
      assert.equal(p.cap, recs[i].data.length);
      assert.equal(p.orig, recs[i].origLen);
      assert.deepEqual(new Uint8Array(p.data), recs[i].data);
    });
    const rows = tsharkFields(file);
    assert.equal(rows.length, recs.length);
    rows.forEach((r, i) => {
      assert.equal(Number(r[0]), i + 1);
      assert.equal(r[1], `${recs[i].tsSec}.${String(Math.floor(recs[i].tsNsec / 1000)).padStart(6, '0')}000`);
    });
  });
}

test('nanosecond pcap keeps full ns timestamps (tshark) and snaplen cuts records but keeps origLen', async () => {
  const recs = makeRecords(120, 3);
  const file = path.join(dir, 'ns.pcap');
  await writeFile(file, recs, { nanosecond: true, snaplen: 64 });
  assert.equal(readFileSync(file).subarray(0, 4).toString('hex'), '4d3cb2a1');
  const rows = tsharkFields(file);
  assert.equal(rows.length, recs.length);
  rows.forEach((r, i) => {
    assert.equal(r[1], `${recs[i].tsSec}.${String(recs[i].tsNsec).padStart(9, '0')}`);
    assert.equal(Number(r[2]), Math.min(64, recs[i].data.length));
    assert.equal(Number(r[3]), recs[i].origLen);
  });
});

test('records larger than the internal buffer are written whole', async () => {
  const big = new Uint8Array(3 << 20).map((_, i) => i & 255);
  const file = path.join(dir, 'big.pcap');
  const w = new PcapWriter(file, { linkType: 1, snaplen: 4 << 20 });
  w.write(1, 0, Uint8Array.of(1, 2, 3));
  w.write(2, 0, big);
  w.write(3, 0, Uint8Array.of(4, 5));
  await w.close();
  // tshark refuses records over 256 KiB, so pcap-parser is the oracle here.
  const parsed = await parseWithPcapParser(file);
  assert.deepEqual(parsed.map((r) => r.cap), [3, big.length, 2]);
  const bytes = readFileSync(file);
  assert.equal(bytes.length, 24 + 16 * 3 + 3 + big.length + 2);
  assert.deepEqual(new Uint8Array(bytes.subarray(24 + 16 + 3 + 16, 24 + 16 + 3 + 16 + 1000)), big.subarray(0, 1000));
});
