/**
 * Fixtures built in code for what the samples lack: big-endian and nanosecond pcap, big-endian
 * pcapng with two interfaces (if_tsresol 10^-9 and 2^-10), SPB, obsolete PB, unknown blocks,
 * several sections, gzip, stdin, records straddling read chunks. tshark checks them too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { PcapngBuilder, buildPcap, randomBytes, seededRandom } from './helpers/pcapng-builder';
import { SKIP_NO_SAMPLES, sample } from './helpers/samples';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-capture-fixtures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function readAll(paths: string[], firstFrame?: number): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of openCaptureFiles(paths, { firstFrame })) out.push(...batch);
  return out;
}

const row = (p: RawPacket) => `${p.frame}\t${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}\t${p.origLen}\t${p.capLen}`;

async function tsharkRows(file: string): Promise<string[]> {
  const fields = ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len'].flatMap((f) => ['-e', f]);
  const { stdout } = await run('tshark', ['-n', '-r', file, '-T', 'fields', ...fields]);
  return stdout.split('\n').filter((l) => l.length > 0);
}

const bytes = (n: number, seed: number) => randomBytes(seededRandom(seed), n);

describe('classic pcap variants', () => {
  it('big-endian microsecond pcap', async () => {
    const recs = [
      { sec: 1_600_000_000, frac: 123_456, data: bytes(60, 1) },
      { sec: 1_600_000_001, frac: 999_999, data: bytes(1514, 2), origLen: 1514 },
      { sec: 1_600_000_002, frac: 0, data: bytes(40, 3), origLen: 9000 },
    ];
    const file = write('be-us.pcap', buildPcap({ littleEndian: false, linkType: 101 }, recs));
    const pkts = await readAll([file]);
    assert.equal(pkts.length, 3);
    pkts.forEach((p, i) => {
      assert.equal(p.frame, i + 1);
      assert.equal(p.tsSec, recs[i].sec);
      assert.equal(p.tsNsec, recs[i].frac * 1000);
      assert.equal(p.tsDigits, 6);
      assert.equal(p.linkType, 101);
      assert.equal(p.origLen, recs[i].origLen ?? recs[i].data.length);
      assert.deepEqual(Buffer.from(p.data), recs[i].data);
    });
    assert.deepEqual(pkts.map(row), await tsharkRows(file));
  });

  for (const littleEndian of [true, false]) {
    it(`nanosecond pcap (${littleEndian ? 'little' : 'big'}-endian)`, async () => {
      const recs = [
        { sec: 1_700_000_000, frac: 1, data: bytes(64, 4) },
        { sec: 1_700_000_000, frac: 999_999_999, data: bytes(128, 5) },
      ];
      const file = write(`ns-${littleEndian}.pcap`, buildPcap({ littleEndian, nanosecond: true }, recs));
      const pkts = await readAll([file]);
      assert.deepEqual(pkts.map((p) => [p.tsSec, p.tsNsec, p.tsDigits]), [[1_700_000_000, 1, 9], [1_700_000_000, 999_999_999, 9]]);
      assert.deepEqual(pkts.map(row), await tsharkRows(file));
    });
  }
});

describe('pcapng variants', () => {
  it('big-endian, two interfaces (10^-9 and 2^-10), unknown blocks skipped', async () => {
    const b = new PcapngBuilder({ littleEndian: false })
      .idb(1, 65535, { tsresol: 9, name: 'eth0' })
      .block(0x00000099, Buffer.from('an unknown block type'))
      .idb(101, 0, { tsresol: 0x80 | 10 })
      .epb(0, 1_700_000_000_123_456_789n, bytes(60, 6))
      .block(5, Buffer.alloc(20)) // interface statistics: skipped
      .epb(1, 1_700_000_000n * 1024n + 512n, bytes(40, 7), 1500)
      .block(0x7fff0001, Buffer.from('another unknown block'))
      .epb(1, 5n * 1024n + 1023n, bytes(20, 8))
      .epb(0, 2n ** 63n + 5n, bytes(30, 9));
    const file = write('be-two-if.pcapng', b.build());
    const pkts = await readAll([file]);
    assert.deepEqual(
      pkts.map((p) => [p.frame, p.interfaceId, p.linkType, p.tsSec, p.tsNsec, p.tsDigits, p.capLen, p.origLen]),
      [
        [1, 0, 1, 1_700_000_000, 123_456_789, 9, 60, 60],
        [2, 1, 101, 1_700_000_000, 500_000_000, 6, 40, 1500],
        [3, 1, 101, 5, 999_023_437, 6, 20, 20],
        [4, 0, 1, 9_223_372_036, 854_775_813, 9, 30, 30],
      ],
    );
    assert.deepEqual(Buffer.from(pkts[1].data), bytes(40, 7));
    // tshark cannot print the 2^63 ns timestamp sensibly: compare the first three.
    assert.deepEqual(pkts.slice(0, 3).map(row), (await tsharkRows(file)).slice(0, 3));
  });

  it('simple packet blocks use interface 0 and its snaplen; obsolete packet blocks read', async () => {
    const b = new PcapngBuilder()
      .idb(1, 64)
      .spb(bytes(100, 10), 1500) // writer ignored snaplen: the reader applies it
      .spb(bytes(10, 11)) // 10 bytes + 2 padding: padding is not data
      .pb(0, 1_600_000_000_000_001n, bytes(50, 12));
    const pkts = await readAll([write('spb.pcapng', b.build())]);
    assert.deepEqual(pkts.map((p) => [p.tsSec, p.tsNsec, p.capLen, p.origLen, p.interfaceId]), [
      [0, 0, 64, 1500, 0],
      [0, 0, 10, 10, 0],
      [1_600_000_000, 1000, 50, 50, 0],
    ]);
    assert.deepEqual(Buffer.from(pkts[0].data), bytes(100, 10).subarray(0, 64));
    assert.deepEqual(Buffer.from(pkts[1].data), bytes(10, 11));
  });

  it('several sections, byte order switching, interface ids restart per section', async () => {
    const b = new PcapngBuilder({ littleEndian: true })
      .idb(1, 0)
      .epb(0, 1_000_000n, bytes(10, 13))
      .shb({ littleEndian: false })
      .idb(113, 0, { tsresol: 3 })
      .epb(0, 2_500n, bytes(11, 14))
      .shb({ littleEndian: true })
      .idb(276, 0, { tsoffset: 100n })
      .epb(0, 3_000_001n, bytes(12, 15));
    const file = write('sections.pcapng', b.build());
    const pkts = await readAll([file]);
    assert.deepEqual(pkts.map((p) => [p.linkType, p.tsSec, p.tsNsec, p.tsDigits, p.capLen]), [
      [1, 1, 0, 6, 10],
      [113, 2, 500_000_000, 6, 11],
      [276, 103, 1000, 6, 12],
    ]);
    assert.deepEqual(pkts.slice(0, 2).map(row), (await tsharkRows(file)).slice(0, 2));
  });
});

describe('streaming', () => {
  it('records straddling 1 MiB chunks, and a packet bigger than a chunk, keep their bytes', async () => {
    const rand = seededRandom(42);
    const recs = Array.from({ length: 600 }, (_, i) => ({ sec: 1000 + i, frac: i, data: randomBytes(rand, 1 + Math.floor(rand() * 12000)) }));
    const pcapFile = write('big.pcap', buildPcap({}, recs));
    assert.ok(readFileSync(pcapFile).length > 3 << 20, 'fixture must span several chunks');
    const pkts = await readAll([pcapFile]);
    assert.equal(pkts.length, recs.length);
    // Compared after the whole read: a reused buffer would show here.
    pkts.forEach((p, i) => assert.ok(Buffer.from(p.data).equals(recs[i].data), `packet ${i + 1} bytes`));

    // The same through gunzip: its output buffers must not be reused either.
    const gzPkts = await readAll([write('big.gz', gzipSync(readFileSync(pcapFile), { level: 1 }))]);
    assert.equal(gzPkts.length, recs.length);
    gzPkts.forEach((p, i) => assert.ok(Buffer.from(p.data).equals(recs[i].data), `gzip packet ${i + 1} bytes`));

    const huge = bytes(1_500_000, 16);
    const ng = new PcapngBuilder().idb(1, 0).epb(0, 1n, bytes(100, 17)).epb(0, 2n, huge).epb(0, 3n, bytes(100, 18));
    const ngPkts = await readAll([write('huge.pcapng', ng.build())]);
    assert.deepEqual(ngPkts.map((p) => p.capLen), [100, 1_500_000, 100]);
    assert.ok(Buffer.from(ngPkts[1].data).equals(huge));
  });

  it('gzip is detected by magic, whatever the file name', { skip: SKIP_NO_SAMPLES }, async () => {
    for (const name of ['nb6-startup.pcap', '200722_tcp_anon.pcapng']) {
      const plain = await readAll([sample(name)]);
      const gz = write(`${name}-gz.pcap`, gzipSync(readFileSync(sample(name))));
      const unzipped = await readAll([gz]);
      assert.equal(unzipped.length, plain.length);
      assert.deepEqual(unzipped.map(row), plain.map(row));
      unzipped.forEach((p, i) => assert.ok(Buffer.from(p.data).equals(plain[i].data)));
    }
  });

  it("'-' reads standard input (plain and gzip), frames continuing after a file", { skip: SKIP_NO_SAMPLES }, async () => {
    const script = `
      const { openCaptureFiles } = require(${JSON.stringify(path.join(__dirname, '../src/capture/file-source.js'))});
      (async () => {
        const pkts = [];
        for await (const b of openCaptureFiles([${JSON.stringify(sample('slammer.pcap'))}, '-'])) pkts.push(...b);
        // Bytes printed only after the whole read: a reused read buffer would show.
        const rows = pkts.map((p) => [p.frame, p.tsSec, p.tsNsec, p.capLen, p.source, Buffer.from(p.data).toString('hex')]);
        process.stdout.write(JSON.stringify(rows));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const direct = await readAll([sample('slammer.pcap'), sample('dns.cap')]);
    const expected = direct.map((p) => [p.frame, p.tsSec, p.tsNsec, p.capLen, p.frame === 1 ? p.source : '<stdin>', Buffer.from(p.data).toString('hex')]);
    for (const input of [readFileSync(sample('dns.cap')), gzipSync(readFileSync(sample('dns.cap')))]) {
      const stdinFile = write('stdin-input', input);
      const { stdout } = await run('bash', ['-c', `cat "$1" | "${process.execPath}" -e "$2"`, 'x', stdinFile, script]);
      assert.deepEqual(JSON.parse(stdout), expected);
    }
  });

  it('firstFrame offsets frame numbers; close() ends iteration after the current batch', { skip: SKIP_NO_SAMPLES }, async () => {
    const pkts = await readAll([sample('dns.cap')], 101);
    assert.deepEqual(pkts.map((p) => p.frame), Array.from({ length: 38 }, (_, i) => 101 + i));

    const src = openCaptureFiles([sample('dns.cap'), sample('http.cap')]);
    let batches = 0;
    for await (const batch of src) {
      batches++;
      assert.ok(batch.length > 0);
      src.close();
    }
    assert.equal(batches, 1);
    assert.equal(src.stats().packets, 38);
  });
});
