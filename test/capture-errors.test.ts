/** Bad input: every case is a one-line LlnError with a stable code, good packets before it kept. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { checkCaptureFile, openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket, SourceStats } from '../src/capture/raw-packet';
import { LlnError } from '../src/errors';
import { PcapngBuilder, buildPcap, randomBytes, seededRandom } from './helpers/pcapng-builder';
import { SKIP_NO_SAMPLES, sample } from './helpers/samples';
import { NOBODY, unprivilegedSkip } from './helpers/unprivileged';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-capture-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

interface Outcome {
  packets: RawPacket[];
  error: LlnError | null;
  stats: SourceStats;
}

async function readOutcome(paths: string[]): Promise<Outcome> {
  const src = openCaptureFiles(paths);
  const packets: RawPacket[] = [];
  let error: LlnError | null = null;
  try {
    for await (const batch of src) packets.push(...batch);
  } catch (e) {
    if (!(e instanceof LlnError)) throw e;
    error = e;
  }
  return { packets, error, stats: src.stats() };
}

function assertLlnError(error: LlnError | null, code: string, ...mustMention: (string | RegExp)[]): void {
  assert.ok(error, `expected ${code}, got no error`);
  assert.equal(error.code, code, error.message);
  assert.ok(!error.message.includes('\n'), 'one-line message');
  for (const m of mustMention) assert.match(error.message, typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
}

const pkt = (n: number, seed: number) => randomBytes(seededRandom(seed), n);
const goodRecords = [
  { sec: 10, frac: 1, data: pkt(60, 1) },
  { sec: 11, frac: 2, data: pkt(60, 2) },
];

describe('bad input', () => {
  it('empty file → LLN_E_EMPTY (checkCaptureFile and the reader)', async () => {
    const file = write('empty.pcap', Buffer.alloc(0));
    await assert.rejects(checkCaptureFile(file), (e: LlnError) => e.code === 'LLN_E_EMPTY');
    assertLlnError((await readOutcome([file])).error, 'LLN_E_EMPTY', file);
    assertLlnError((await readOutcome([write('empty.gz', gzipSync(Buffer.alloc(0)))])).error, 'LLN_E_EMPTY');
  });

  it('not a capture → LLN_E_NOT_PCAP naming the magic found and the formats accepted', async () => {
    const text = write('notes.pcap', Buffer.from('<!DOCTYPE html><html></html>'));
    assertLlnError((await readOutcome([text])).error, 'LLN_E_NOT_PCAP', '3c 21 44 4f', 'pcapng', 'a1b2c3d4');
    const gz = write('notes.pcap.gz', gzipSync(Buffer.from('hello world')));
    assertLlnError((await readOutcome([gz])).error, 'LLN_E_NOT_PCAP', '68 65 6c 6c', 'gzip');
  });

  it('truncated file header → LLN_E_TRUNCATED', async () => {
    const full = buildPcap({}, goodRecords);
    for (const n of [3, 10, 23]) {
      assertLlnError((await readOutcome([write(`hdr${n}.pcap`, full.subarray(0, n))])).error, 'LLN_E_TRUNCATED');
    }
    const ng = new PcapngBuilder().idb(1, 0).build();
    assertLlnError((await readOutcome([write('hdr.pcapng', ng.subarray(0, 20))])).error, 'LLN_E_TRUNCATED', 'section header');
  });

  it('truncated last record: complete packets yielded, stats().truncated set, no throw', async () => {
    const full = buildPcap({}, goodRecords);
    for (const cut of [full.length - 1, full.length - 60, full.length - 70]) {
      const out = await readOutcome([write(`cut${cut}.pcap`, full.subarray(0, cut))]);
      assert.equal(out.error, null);
      assert.equal(out.packets.length, 1);
      assert.ok(Buffer.from(out.packets[0].data).equals(goodRecords[0].data));
      assert.equal(out.stats.truncated?.byteOffset, 100);
      assert.match(out.stats.truncated?.message ?? '', /byte 100 is cut short/);
    }
    const ng = new PcapngBuilder().idb(1, 0).epb(0, 1n, pkt(60, 3)).epb(0, 2n, pkt(60, 4)).build();
    const out = await readOutcome([write('cut.pcapng', ng.subarray(0, ng.length - 5))]);
    assert.equal(out.error, null);
    assert.equal(out.packets.length, 1);
    assert.equal(out.stats.truncated?.byteOffset, ng.length - 92);
  });

  it('gzip cut short behaves like a truncated file; corrupt gzip → LLN_E_UNREADABLE', { skip: SKIP_NO_SAMPLES }, async () => {
    const gz = gzipSync(readFileSync(sample('nb6-startup.pcap')));
    const out = await readOutcome([write('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length * 0.6)))]);
    assert.equal(out.error, null);
    assert.ok(out.packets.length > 100 && out.packets.length < 531, `${out.packets.length} packets`);
    assert.ok(out.stats.truncated);
    const bad = Buffer.from(gz);
    bad.fill(0x55, 200, 400);
    const corrupt = await readOutcome([write('corrupt.pcap.gz', bad)]);
    assertLlnError(corrupt.error, 'LLN_E_UNREADABLE', 'gzip');
  });

  it('caplen over the snaplen rule or 256 MiB → LLN_E_BAD_RECORD with offset, after the good packets', async () => {
    const over = [...goodRecords, { sec: 12, frac: 0, data: pkt(8, 5), capLenField: 300_000 }, ...goodRecords];
    const out = await readOutcome([write('over.pcap', buildPcap({ snaplen: 65535 }, over))]);
    assert.equal(out.packets.length, 2);
    assertLlnError(out.error, 'LLN_E_BAD_RECORD', 'byte 176', '300000');

    const huge = [...goodRecords, { sec: 12, frac: 0, data: pkt(8, 5), capLenField: 0x10000001 }];
    const out2 = await readOutcome([write('huge.pcap', buildPcap({ snaplen: 0 }, huge))]);
    assert.equal(out2.packets.length, 2);
    assertLlnError(out2.error, 'LLN_E_BAD_RECORD', 'byte 176');

    // Tolerated, as Wireshark does: caplen above a (wrong) snaplen but within 262144.
    const tolerated = [{ sec: 1, frac: 0, data: pkt(2000, 6) }];
    const out3 = await readOutcome([write('tolerated.pcap', buildPcap({ snaplen: 96 }, tolerated))]);
    assert.equal(out3.error, null);
    assert.equal(out3.packets[0].capLen, 2000);
  });

  it('corrupt pcapng block length → LLN_E_BAD_BLOCK with offset, good packets kept', async () => {
    const good = new PcapngBuilder().idb(1, 0).epb(0, 1n, pkt(60, 7)).build();
    const bad = (lenField: number, trailer?: number) => {
      const b = Buffer.alloc(24);
      b.writeUInt32LE(6, 0);
      b.writeUInt32LE(lenField, 4);
      b.writeUInt32LE(trailer ?? lenField, 20);
      return Buffer.concat([good, b, good.subarray(good.length - 92)]);
    };
    const cases: [Buffer, RegExp][] = [
      [bad(22), /length 22 is invalid/],
      [bad(8), /length 8 is invalid/],
      [bad(24, 28), /trailing length 28 differ/],
    ];
    for (const [bytes, why] of cases) {
      const out = await readOutcome([write('badblock.pcapng', bytes)]);
      assert.equal(out.packets.length, 1);
      assertLlnError(out.error, 'LLN_E_BAD_BLOCK', `byte ${good.length}`, why);
    }
  });

  it('EPB pointing to a missing interface → LLN_E_BAD_BLOCK naming the interface id', async () => {
    const b = new PcapngBuilder().idb(1, 0).idb(1, 0).epb(1, 1n, pkt(10, 8)).epb(5, 2n, pkt(10, 9)).build();
    const out = await readOutcome([write('noif.pcapng', b)]);
    assert.equal(out.packets.length, 1);
    assertLlnError(out.error, 'LLN_E_BAD_BLOCK', 'interface 5', 'only 2');
  });

  it('an unknown link type is not a reader error: it is passed through', async () => {
    const out = await readOutcome([write('lt.pcap', buildPcap({ linkType: 4242 }, goodRecords))]);
    assert.equal(out.error, null);
    assert.deepEqual(out.packets.map((p) => p.linkType), [4242, 4242]);
  });

  it('checkCaptureFile: missing, directory, unreadable', async (t) => {
    const missing = path.join(dir, 'nope.pcap');
    await assert.rejects(checkCaptureFile(missing), (e: LlnError) => e.code === 'LLN_E_NOT_FOUND' && e.message.includes(missing));
    assertLlnError((await readOutcome([missing])).error, 'LLN_E_NOT_FOUND');
    const sub = path.join(dir, 'captures');
    mkdirSync(sub);
    await assert.rejects(checkCaptureFile(sub), (e: LlnError) => e.code === 'LLN_E_IS_DIR');
    await checkCaptureFile('-'); // stdin always passes

    const locked = write('locked.pcap', buildPcap({}, goodRecords));
    chmodSync(locked, 0o000);
    chmodSync(dir, 0o755);
    if (process.getuid?.() !== 0) {
      await assert.rejects(checkCaptureFile(locked), (e: LlnError) => e.code === 'LLN_E_UNREADABLE');
      return;
    }
    // root reads everything: ask as an unprivileged user in a child process.
    const skip = unprivilegedSkip();
    if (skip) { t.skip(skip); return; }
    const mod = JSON.stringify(path.join(__dirname, '../src/capture/file-source.js'));
    const script = `require(${mod}).checkCaptureFile(${JSON.stringify(locked)}).then(() => console.log('OK'), (e) => console.log(e.code))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY });
    assert.equal(stdout.trim(), 'LLN_E_UNREADABLE');
  });
});
