/**
 * Seeded fuzzing of the capture readers (and of `decode` when it is built): mutated copies of
 * the committed samples, of ../shared/samples when present, and of built fixtures (bit flips, truncation, length-field edits, byte
 * smears, splices, gzip), fed in random chunk sizes. Any failure other than an LlnError, a
 * broken invariant, or an input taking too long is reported with the seed to reproduce it.
 *
 *   npm run build && node dist/bench/fuzz-reader.js [iterations] [seed]
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCaptureStream } from '../src/capture/capture-stream';
import type { RawPacket, SourceStats } from '../src/capture/raw-packet';
import type { ReadContext } from '../src/capture/read-context';
import { LlnError } from '../src/errors';
import { PACKAGE_ROOT } from '../src/paths';
import { PcapngBuilder, buildPcap, randomBytes, seededRandom } from '../test/helpers/pcapng-builder';
import { HAVE_SAMPLES, SAMPLES_DIR } from '../test/helpers/samples';

type Decode = (raw: RawPacket) => unknown;

/** `decode` if its module is built (another engineer's file); the fuzzer runs without it. */
export function loadDecode(): Decode | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, '..', 'src', 'capture', 'decode', 'index.js')) as { decode?: Decode };
    return typeof mod.decode === 'function' ? mod.decode : null;
  } catch {
    return null;
  }
}

export interface FuzzOptions {
  iterations: number;
  seed: number;
  /** An input taking longer than this fails the run (hang detection). */
  perInputMs?: number;
  /** Extra originals to mutate (defaults: every sample + built fixtures). */
  corpus?: Buffer[];
}

export interface FuzzReport {
  iterations: number;
  packets: number;
  decoded: number;
  decodeAvailable: boolean;
  truncated: number;
  clean: number;
  errorsByCode: Record<string, number>;
  slowestMs: number;
}

/** Captures committed in samples/: present in every clone, so the fuzz test needs nothing else. */
export const COMMITTED_SAMPLES_DIR = path.join(PACKAGE_ROOT, 'samples');

/**
 * Built fixtures, the committed samples and a pcapng copy of each (so pcapng blocks are
 * mutated as often as pcap records): the same inputs on every machine.
 */
export function builtCorpus(): Buffer[] {
  const rand = seededRandom(7);
  const pkt = (n: number) => randomBytes(rand, n);
  const corpus = [
    buildPcap({ littleEndian: false, nanosecond: true }, [
      { sec: 1, frac: 2, data: pkt(60) },
      { sec: 3, frac: 4, data: pkt(200) },
    ]),
    new PcapngBuilder({ littleEndian: false })
      .idb(1, 0, { tsresol: 9 })
      .idb(101, 128, { tsresol: 0x80 | 10 })
      .epb(1, 12345n, pkt(80))
      .spb(pkt(100), 400)
      .pb(0, 1n << 60n, pkt(30))
      .shb({ littleEndian: true })
      .idb(113, 0)
      .block(0x99, pkt(13))
      .epb(0, 99n, pkt(44))
      .build(),
  ];
  for (const f of readdirSync(COMMITTED_SAMPLES_DIR).sort()) {
    if (!f.endsWith('.pcap')) continue;
    const pcap = readFileSync(path.join(COMMITTED_SAMPLES_DIR, f));
    corpus.push(pcap, pcapAsPcapng(pcap));
  }
  return corpus;
}

/** builtCorpus plus every capture of ../shared/samples when it is there (`npm run fuzz`). */
export function defaultCorpus(): Buffer[] {
  const corpus = builtCorpus();
  if (HAVE_SAMPLES) {
    for (const f of readdirSync(SAMPLES_DIR).sort()) {
      if (!f.endsWith('.md')) corpus.push(readFileSync(path.join(SAMPLES_DIR, f)));
    }
  }
  return corpus;
}

/** A little-endian µs classic pcap (what the generator writes) re-encoded as pcapng EPBs. */
function pcapAsPcapng(pcap: Buffer): Buffer {
  const b = new PcapngBuilder({ littleEndian: true }).idb(pcap.readUInt32LE(20), pcap.readUInt32LE(16));
  for (let p = 24; p + 16 <= pcap.length; ) {
    const cap = pcap.readUInt32LE(p + 8);
    const us = BigInt(pcap.readUInt32LE(p)) * 1_000_000n + BigInt(pcap.readUInt32LE(p + 4));
    b.epb(0, us, pcap.subarray(p + 16, p + 16 + cap), pcap.readUInt32LE(p + 12));
    p += 16 + cap;
  }
  return b.build();
}

/** Offsets of record/block length fields, found by walking the original (valid) file. */
function lengthFieldOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  if (buf.length < 24) return out;
  if (buf.readUInt32BE(0) === 0x0a0d0d0a) {
    let le = true;
    for (let p = 0; p + 12 <= buf.length; ) {
      if (buf.readUInt32BE(p) === 0x0a0d0d0a) le = buf.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const len = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
      if (len < 12 || p + len > buf.length) break;
      out.push(p + 4, p + len - 4);
      const type = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
      if (type === 6 || type === 2) out.push(p + 20); // captured length
      if (type === 3) out.push(p + 8);
      p += len;
    }
  } else {
    const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
    for (let p = 24; p + 16 <= buf.length; ) {
      const cap = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
      out.push(p + 8, p + 12);
      p += 16 + cap;
    }
  }
  return out;
}

const INTERESTING = [0, 1, 3, 11, 12, 13, 16, 27, 28, 31, 32, 65535, 65536, 262144, 262145, 0x0fffffff, 0x10000001, 0x7fffffff, 0xffffffff];

function mutate(orig: Buffer, rand: () => number): { bytes: Buffer; what: string } {
  let b = Buffer.from(orig);
  const lengthFields = lengthFieldOffsets(orig);
  const steps: string[] = [];
  const n = 1 + Math.floor(rand() * 3);
  const pick = (k: number) => Math.floor(rand() * k);
  for (let i = 0; i < n && b.length > 0; i++) {
    // gzip is rarer: each gzipped input costs a zlib stream, ten times a plain read.
    const kind = rand() < 0.06 ? 5 : pick(5);
    if (kind === 0) {
      const flips = 1 + pick(8);
      for (let j = 0; j < flips; j++) b[pick(b.length)] ^= 1 << pick(8);
      steps.push(`flip${flips}`);
    } else if (kind === 1) {
      b = b.subarray(0, pick(b.length + 1));
      steps.push(`cut@${b.length}`);
    } else if (kind === 2 && lengthFields.length > 0) {
      const at = lengthFields[pick(lengthFields.length)];
      if (at + 4 > b.length) continue;
      const old = b.readUInt32LE(at);
      const choices = [...INTERESTING, old + 1, old - 1, old + 4, old - 4, Math.floor(rand() * 2 ** 32)];
      const v = choices[pick(choices.length)] >>> 0;
      if (rand() < 0.5) b.writeUInt32LE(v, at);
      else b.writeUInt32BE(v, at);
      steps.push(`len@${at}=${v}`);
    } else if (kind === 3) {
      const at = pick(b.length);
      const len = Math.min(b.length - at, 1 + pick(64));
      b.fill(rand() < 0.5 ? 0xff : pick(256), at, at + len);
      steps.push(`smear@${at}+${len}`);
    } else if (kind === 4) {
      const from = pick(b.length);
      const slice = b.subarray(from, Math.min(b.length, from + 1 + pick(200)));
      const at = pick(b.length);
      b = Buffer.concat([b.subarray(0, at), slice, b.subarray(at)]);
      steps.push(`splice@${at}+${slice.length}`);
    } else {
      b = gzipSync(b);
      steps.push('gzip');
    }
  }
  return { bytes: b, what: steps.join(',') };
}

async function* inChunks(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let p = 0; p < b.length; p += size) yield b.subarray(p, p + size);
}

function checkPacket(p: RawPacket, expectedFrame: number): void {
  const ok =
    p.frame === expectedFrame &&
    p.data.length === p.capLen &&
    Number.isInteger(p.tsSec) &&
    Number.isInteger(p.tsNsec) &&
    p.tsNsec >= 0 &&
    p.tsNsec < 1e9 &&
    (p.tsDigits === 6 || p.tsDigits === 9);
  if (!ok) throw new Error(`invariant broken on frame ${p.frame}: ${JSON.stringify({ ...p, data: p.data.length })}`);
}

async function readOne(bytes: Buffer, chunk: number, decode: Decode | null, report: FuzzReport): Promise<void> {
  const stats: SourceStats = { packets: 0, bytes: 0, unknownLinkType: 0 };
  const ctx: ReadContext = { source: 'fuzz', nextFrame: 1, stats };
  let frame = 1;
  try {
    for await (const batch of readCaptureStream(inChunks(bytes, chunk), ctx)) {
      for (const p of batch) {
        checkPacket(p, frame++);
        if (decode) {
          decode(p);
          report.decoded++;
        }
      }
      report.packets += batch.length;
    }
    if (stats.packets !== frame - 1) throw new Error(`stats.packets ${stats.packets} != ${frame - 1} yielded`);
    if (stats.truncated) report.truncated++;
    else report.clean++;
  } catch (e) {
    if (!(e instanceof LlnError)) throw e;
    if (e.message.includes('\n')) throw new Error(`multi-line LlnError message: ${e.message}`);
    report.errorsByCode[e.code] = (report.errorsByCode[e.code] ?? 0) + 1;
  }
}

const CHUNK_SIZES = [1, 5, 64, 1000, 4096, 1 << 20];

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const corpus = opts.corpus ?? defaultCorpus();
  const perInputMs = opts.perInputMs ?? 5000;
  const decode = loadDecode();
  const rand = seededRandom(opts.seed);
  const report: FuzzReport = {
    iterations: 0, packets: 0, decoded: 0, decodeAvailable: decode !== null, truncated: 0, clean: 0, errorsByCode: {}, slowestMs: 0,
  };
  for (let i = 0; i < opts.iterations; i++) {
    const orig = corpus[Math.floor(rand() * corpus.length)];
    const { bytes, what } = mutate(orig, rand);
    let chunk = CHUNK_SIZES[Math.floor(rand() * CHUNK_SIZES.length)];
    // Tiny chunks cost a stream round trip each: keep them for small inputs (where they still
    // cut every record header), or a single input would take seconds.
    if (chunk < 64 && bytes.length > 8192) chunk = 4096;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result after ${perInputMs} ms`)), perInputMs);
    });
    try {
      await Promise.race([readOne(bytes, chunk, decode, report), hang]);
    } catch (e) {
      const file = path.join(os.tmpdir(), `lln-fuzz-seed${opts.seed}-iter${i}.bin`);
      writeFileSync(file, bytes);
      const why = e instanceof Error ? e.stack ?? e.message : String(e);
      throw new Error(`fuzz failure (seed ${opts.seed}, iteration ${i}, mutations ${what}, chunk ${chunk}; input saved to ${file}): ${why}`);
    } finally {
      clearTimeout(timer);
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - t0);
    report.iterations++;
  }
  return report;
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 50_000);
  const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
  const t0 = performance.now();
  runFuzz({ iterations, seed }).then(
    (r) => {
      console.log(JSON.stringify({ seed, seconds: +((performance.now() - t0) / 1000).toFixed(1), ...r }, null, 2));
    },
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
