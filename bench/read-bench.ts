/**
 * Capture reading throughput: raw file read MB/s, reader packets/s for classic pcap and pcapng
 * (1M+ packets each, written into os.tmpdir() by a fast writer here), and read+decode packets/s
 * when src/capture/decode is built. Best of a few runs (the first one warms the JIT).
 *
 *   npm run build && node dist/bench/read-bench.js [packets]
 */
import { createReadStream, closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { loadDecode } from './fuzz-reader';

const DEFAULT_PACKETS = 1_000_000;
const RUNS = 3;

/** 64 Ethernet/IPv4/TCP-or-UDP frames of 60..~400 bytes, varying hosts and ports. */
function templates(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < 64; i++) {
    const tcp = i % 3 !== 0;
    const payload = (i * 37) % 340;
    const l4 = tcp ? 20 : 8;
    const b = Buffer.alloc(Math.max(60, 14 + 20 + l4 + payload));
    b.writeUInt16BE(0x0800, 12);
    b[14] = 0x45;
    b.writeUInt16BE(20 + l4 + payload, 16);
    b[22] = 64;
    b[23] = tcp ? 6 : 17;
    b.writeUInt32BE(0x0a000001 + (i % 7), 26);
    b.writeUInt32BE(0xc0a80001 + (i % 13), 30);
    b.writeUInt16BE(1024 + i * 11, 34);
    b.writeUInt16BE(tcp ? 443 : 53, 36);
    if (tcp) {
      b[46] = 0x50;
      b[47] = 0x18;
    } else {
      b.writeUInt16BE(8 + payload, 38);
    }
    out.push(b);
  }
  return out;
}

/** Buffered writer: records packed into 4 MiB, one write each. */
class FastFile {
  private fd: number;
  private buf = Buffer.allocUnsafe(4 << 20);
  pos = 0;
  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }
  room(n: number): Buffer {
    if (this.pos + n > this.buf.length) this.flush();
    return this.buf;
  }
  flush(): void {
    writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export function writeBenchPcap(file: string, packets: number): void {
  const t = templates();
  const f = new FastFile(file);
  const h = f.room(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.fill(0, 8, 16);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(1, 20);
  f.pos = 24;
  let usec = 1_700_000_000_000_000;
  for (let i = 0; i < packets; i++) {
    const d = t[i & 63];
    const b = f.room(16 + d.length);
    const p = f.pos;
    usec += 1 + (i % 997);
    b.writeUInt32LE(Math.floor(usec / 1e6), p);
    b.writeUInt32LE(usec % 1e6, p + 4);
    b.writeUInt32LE(d.length, p + 8);
    b.writeUInt32LE(d.length, p + 12);
    d.copy(b, p + 16);
    f.pos = p + 16 + d.length;
  }
  f.close();
}

export function writeBenchPcapng(file: string, packets: number): void {
  const t = templates();
  const f = new FastFile(file);
  const b0 = f.room(48);
  // SHB (28 bytes) + IDB with if_tsresol = 9 (ns) (32 bytes)
  const shb = [0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff, 28];
  shb.forEach((v, i) => b0.writeUInt32LE(v, i * 4));
  f.pos = 28;
  const b1 = f.room(32);
  [1, 32, 1, 0].forEach((v, i) => b1.writeUInt32LE(v, 28 + i * 4));
  b1.writeUInt16LE(9, 44);
  b1.writeUInt16LE(1, 46);
  b1.writeUInt32LE(9, 48);
  b1.writeUInt32LE(0, 52);
  b1.writeUInt32LE(32, 56);
  f.pos = 60;
  let ns = 1_700_000_000n * 1_000_000_000n;
  for (let i = 0; i < packets; i++) {
    const d = t[i & 63];
    const padded = (d.length + 3) & ~3;
    const blen = 32 + padded;
    const b = f.room(blen);
    const p = f.pos;
    ns += BigInt(1000 + (i % 997) * 1000 + (i % 7));
    b.writeUInt32LE(6, p);
    b.writeUInt32LE(blen, p + 4);
    b.writeUInt32LE(0, p + 8);
    b.writeUInt32LE(Number(ns >> 32n), p + 12);
    b.writeUInt32LE(Number(ns & 0xffffffffn), p + 16);
    b.writeUInt32LE(d.length, p + 20);
    b.writeUInt32LE(d.length, p + 24);
    d.copy(b, p + 28);
    b.fill(0, p + 28 + d.length, p + 28 + padded);
    b.writeUInt32LE(blen, p + blen - 4);
    f.pos = p + blen;
  }
  f.close();
}

async function rawReadMBps(file: string): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length;
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}

/** Highest RSS seen while reading: stays flat however big the file (streaming). */
let peakRss = 0;

interface Rate {
  wall: number;
  /** Per second of this process's CPU time: steadier than wall time on a shared machine. */
  cpu: number;
}

async function readerPps(file: string, decode: ((p: RawPacket) => unknown) | null, expected: number): Promise<Rate> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for await (const batch of openCaptureFiles([file])) {
    n += batch.length;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (decode) for (let i = 0; i < batch.length; i++) decode(batch[i]);
  }
  if (n !== expected) throw new Error(`read ${n} packets from ${file}, wrote ${expected}`);
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

async function best(f: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let i = 0; i < RUNS; i++) top = Math.max(top, await f());
  return Math.round(top);
}

async function bestRate(out: Record<string, number>, name: string, f: () => Promise<Rate>): Promise<void> {
  const top = { wall: 0, cpu: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = await f();
    top.wall = Math.max(top.wall, r.wall);
    top.cpu = Math.max(top.cpu, r.cpu);
  }
  out[name] = Math.round(top.wall);
  out[`${name}_cpu`] = Math.round(top.cpu);
}

export async function runReadBench(packets = DEFAULT_PACKETS): Promise<Record<string, number>> {
  const dir = os.tmpdir();
  const pcap = path.join(dir, `lln-read-bench-${process.pid}.pcap`);
  const pcapng = path.join(dir, `lln-read-bench-${process.pid}.pcapng`);
  try {
    writeBenchPcap(pcap, packets);
    writeBenchPcapng(pcapng, packets);
    const decode = loadDecode();
    const out: Record<string, number> = {
      read_packets: packets,
      raw_read_MBps: await best(() => rawReadMBps(pcap)),
    };
    await bestRate(out, 'pcap_reader_pps', () => readerPps(pcap, null, packets));
    await bestRate(out, 'pcapng_reader_pps', () => readerPps(pcapng, null, packets));
    out.reader_peak_rss_MB = Math.round(peakRss / 1e6);
    out.pcap_file_MB = Math.round(statSync(pcap).size / 1e6);
    if (decode) {
      await bestRate(out, 'pcap_read_decode_pps', () => readerPps(pcap, decode, packets));
      await bestRate(out, 'pcapng_read_decode_pps', () => readerPps(pcapng, decode, packets));
    }
    return out;
  } finally {
    rmSync(pcap, { force: true });
    rmSync(pcapng, { force: true });
  }
}

if (require.main === module) {
  runReadBench(Number(process.argv[2] ?? DEFAULT_PACKETS)).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
