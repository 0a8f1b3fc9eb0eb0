/**
 * Oracle tests on the real sample captures: the reader must agree with pcap-parser (classic
 * pcap: timestamps, lengths, bytes) and with tshark (every sample: count, times, lengths).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { ALL_SAMPLES, SKIP_NO_SAMPLES, sample } from './helpers/samples';

// pcap-parser ships no types; this is the part of its API the oracle uses.
interface PcapParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}
interface PcapParser {
  on(ev: 'packet', f: (p: PcapParserPacket) => void): void;
  on(ev: 'end', f: () => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pcapParser = require('pcap-parser') as { parse(input: string): PcapParser };

async function readAll(paths: string[]): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of openCaptureFiles(paths)) out.push(...batch);
  return out;
}

function parseWithPcapParser(path: string): Promise<PcapParserPacket[]> {
  return new Promise((resolve, reject) => {
    const out: PcapParserPacket[] = [];
    const p = pcapParser.parse(path);
    p.on('packet', (pkt) => out.push({ header: { ...pkt.header }, data: Buffer.from(pkt.data) }));
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

/** tshark's view: one "frame<TAB>epoch<TAB>len<TAB>caplen" line per packet. */
export async function tsharkRows(path: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    'tshark',
    ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'],
    { maxBuffer: 64 << 20 },
  );
  return stdout.split('\n').filter((l) => l.length > 0);
}

export function readerRow(p: RawPacket): string {
  return `${p.frame}\t${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}\t${p.origLen}\t${p.capLen}`;
}

const isClassicPcap = (name: string) => readFileSync(sample(name)).readUInt32BE(0) !== 0x0a0d0d0a;

describe('capture reader vs pcap-parser (classic pcap samples)', { skip: SKIP_NO_SAMPLES }, () => {
  for (const name of ALL_SAMPLES.filter((n) => !SKIP_NO_SAMPLES && isClassicPcap(n))) {
    it(name, async () => {
      const [mine, theirs] = await Promise.all([readAll([sample(name)]), parseWithPcapParser(sample(name))]);
      assert.ok(theirs.length > 0, 'oracle read nothing');
      assert.equal(mine.length, theirs.length, 'packet count');
      for (let i = 0; i < mine.length; i++) {
        const a = mine[i];
        const b = theirs[i];
        assert.equal(a.frame, i + 1);
        assert.equal(a.tsSec, b.header.timestampSeconds, `frame ${i + 1} seconds`);
        assert.equal(a.tsNsec, b.header.timestampMicroseconds * 1000, `frame ${i + 1} fraction`);
        assert.equal(a.tsDigits, 6);
        assert.equal(a.capLen, b.header.capturedLength, `frame ${i + 1} caplen`);
        assert.equal(a.origLen, b.header.originalLength, `frame ${i + 1} origlen`);
        assert.equal(a.data.length, a.capLen);
        assert.ok(Buffer.from(a.data).equals(b.data), `frame ${i + 1} bytes differ`);
      }
    });
  }
});

describe('capture reader vs tshark (all samples, pcap and pcapng)', { skip: SKIP_NO_SAMPLES }, () => {
  // tshark takes ~1 s to start, mostly waiting: run all of them at once.
  const tshark = new Map<string, string[]>();
  before(async () => {
    const rows = await Promise.all(ALL_SAMPLES.map((n) => tsharkRows(sample(n))));
    ALL_SAMPLES.forEach((n, i) => tshark.set(n, rows[i]));
  });
  for (const name of SKIP_NO_SAMPLES ? [] : ALL_SAMPLES) {
    it(name, async () => {
      const mine = (await readAll([sample(name)])).map(readerRow);
      const theirs = tshark.get(name) ?? [];
      assert.ok(theirs.length > 0, 'tshark read nothing');
      assert.deepEqual(mine, theirs);
    });
  }

  it('frame numbers continue across files, in the order given', async () => {
    const names = ['slammer.pcap', 'pcapng-multi-interface.pcapng', 'teardrop.cap'];
    const mine = await readAll(names.map(sample));
    const expected = names.flatMap((n) => (tshark.get(n) ?? []).map((r) => r.split('\t').slice(1).join('\t')));
    assert.equal(mine.length, expected.length);
    mine.forEach((p, i) => assert.equal(p.frame, i + 1));
    assert.deepEqual(mine.map((p) => readerRow(p).split('\t').slice(1).join('\t')), expected);
    assert.deepEqual([...new Set(mine.map((p) => p.source))], names.map(sample));
    // The multi-interface sample really has two interfaces with different resolutions.
    assert.deepEqual([...new Set(mine.filter((p) => p.source.endsWith('.pcapng')).map((p) => `${p.interfaceId}/${p.tsDigits}`))], ['0/9', '1/6']);
  });
});
