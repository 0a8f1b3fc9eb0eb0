import { closeSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { PcapWriter } from '../capture/pcap-writer';
import type { RawPacket } from '../capture/raw-packet';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../daemon/private-files';
import { logger } from '../logger';

export interface SpoolFile {
  file: string;
  /** Capture time of the first and last packet, epoch ms. */
  startMs: number;
  endMs: number;
  packets: number;
  bytes: number;
}

export interface TrainingSpoolOptions {
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  fileSeconds: number;
  maxFileBytes: number;
  now?: () => number;
}

const FILE_RE = /^(\d+)-(\d+)-(\d+)\.pcap$/;
const PART_RE = /^(\d+)\.pcap\.part$/;
const PCAP_HEADER = 24;
const RECORD_HEADER = 16;

/**
 * The training spool: what the sensor saw, in rolling classic pcap files
 * (`<first ms>-<last ms>-<packets>.pcap`; the one being written is `<first ms>.pcap.part`),
 * capped by total size and by age. The oldest closed files go first; the cap counts the file
 * being written too, so the folder never holds more than `maxBytes`.
 */
export class TrainingSpool {
  private closed: SpoolFile[] = [];
  private writer: PcapWriter | null = null;
  private active: { file: string; startMs: number; endMs: number; packets: number; bytes: number; linkType: number; openedAt: number } | null = null;
  private readonly fileBytes: number;
  private readonly now: () => number;

  constructor(private readonly o: TrainingSpoolOptions) {
    makePrivateDir(o.dir);
    // A file never grows past a quarter of the cap: rotating it lets the cap drop old data in steps.
    this.fileBytes = Math.max(64 * 1024, Math.min(o.maxFileBytes, Math.floor(o.maxBytes / 4)));
    this.now = o.now ?? Date.now;
    this.recoverParts();
    this.closed = listSpoolFiles(o.dir);
    this.enforceCaps(0);
  }

  /** Packets and bytes held (closed files and the one being written). */
  totals(): { packets: number; bytes: number; files: number; startMs: number | null; endMs: number | null } {
    let packets = 0, bytes = 0;
    for (const f of this.closed) { packets += f.packets; bytes += f.bytes; }
    if (this.active) { packets += this.active.packets; bytes += this.active.bytes; }
    const startMs = this.closed[0]?.startMs ?? this.active?.startMs ?? null;
    const endMs = this.active?.endMs ?? this.closed.at(-1)?.endMs ?? null;
    return { packets, bytes, files: this.closed.length + (this.active ? 1 : 0), startMs, endMs };
  }

  write(packets: RawPacket[]): void {
    for (const p of packets) {
      const size = RECORD_HEADER + p.capLen;
      const ms = p.tsSec * 1000 + Math.floor(p.tsNsec / 1e6);
      if (this.active && (this.active.linkType !== p.linkType || this.active.bytes + size > this.fileBytes || this.now() - this.active.openedAt >= this.o.fileSeconds * 1000)) this.rotate();
      if (!this.active) this.open(p.linkType, ms);
      this.enforceCaps(size);
      const a = this.active!;
      this.writer!.write(p.tsSec, p.tsNsec, p.data, p.origLen);
      a.packets++;
      a.bytes += size;
      if (ms > a.endMs) a.endMs = ms;
    }
  }

  /** Close the file being written (it becomes a training file); the next packet opens a new one. */
  rotate(): void {
    const a = this.active;
    if (!a) return;
    void this.writer!.close();
    this.writer = null;
    this.active = null;
    if (a.packets === 0) {
      rmSync(a.file, { force: true });
      return;
    }
    const file = path.join(this.o.dir, `${a.startMs}-${a.endMs}-${a.packets}.pcap`);
    renameSync(a.file, file);
    this.closed.push({ file, startMs: a.startMs, endMs: a.endMs, packets: a.packets, bytes: a.bytes });
  }

  /** Closed files, oldest first (what a training reads). Call rotate() first to include the newest packets. */
  files(): SpoolFile[] {
    return [...this.closed];
  }

  /** Remove everything (`lln-detect learn --reset`). */
  clear(): void {
    if (this.writer) void this.writer.close();
    this.writer = null;
    this.active = null;
    rmSync(this.o.dir, { recursive: true, force: true });
    makePrivateDir(this.o.dir);
    this.closed = [];
  }

  close(): void {
    this.rotate();
  }

  /** Periodic: age out old files (the size cap is kept on every write). */
  tick(): void {
    this.enforceCaps(0);
  }

  private open(linkType: number, ms: number): void {
    const file = path.join(this.o.dir, `${ms}.pcap.part`);
    this.writer = new PcapWriter(file, { linkType, mode: PRIVATE_FILE_MODE }); // raw packets: owner-only
    this.active = { file, startMs: ms, endMs: ms, packets: 0, bytes: PCAP_HEADER, linkType, openedAt: this.now() };
  }

  private enforceCaps(incoming: number): void {
    const oldest = this.now() - this.o.maxAgeMs;
    let total = this.totals().bytes + incoming;
    while (this.closed.length > 0 && (total > this.o.maxBytes || this.closed[0]!.endMs < oldest)) {
      const f = this.closed.shift()!;
      rmSync(f.file, { force: true });
      total -= f.bytes;
    }
    if (total > this.o.maxBytes && this.active && this.active.packets > 0) {
      // Only the file being written is left and it would pass the cap: start over with a new one.
      const a = this.active;
      void this.writer!.close();
      rmSync(a.file, { force: true });
      this.writer = null;
      this.active = null;
      this.open(a.linkType, a.endMs);
    }
  }

  /** A `.part` left by a crash: keep its complete records (cut a torn last one), make it a training file. */
  private recoverParts(): void {
    for (const name of readdirSync(this.o.dir)) {
      const m = PART_RE.exec(name);
      if (!m) continue;
      const file = path.join(this.o.dir, name);
      const got = completeRecords(file);
      if (!got || got.packets === 0) {
        rmSync(file, { force: true });
        continue;
      }
      truncateSync(file, got.bytes);
      renameSync(file, path.join(this.o.dir, `${got.startMs}-${got.endMs}-${got.packets}.pcap`));
      logger.info(`training spool: kept ${got.packets} packets of ${name}, left by an unclean stop`);
    }
  }
}

/** The spool's closed files, oldest first. */
export function listSpoolFiles(dir: string): SpoolFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SpoolFile[] = [];
  for (const name of names) {
    const m = FILE_RE.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    out.push({ file, startMs: Number(m[1]), endMs: Number(m[2]), packets: Number(m[3]), bytes: statSync(file).size });
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.file.localeCompare(b.file));
}

/** Walk a little-endian µs pcap written by PcapWriter: complete records, their bytes and time span. */
function completeRecords(file: string): { packets: number; bytes: number; startMs: number; endMs: number } | null {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < PCAP_HEADER) return null;
    const h = Buffer.alloc(RECORD_HEADER);
    let off = PCAP_HEADER, packets = 0, startMs = 0, endMs = 0;
    while (off + RECORD_HEADER <= size) {
      readSync(fd, h, 0, RECORD_HEADER, off);
      const capLen = h.readUInt32LE(8);
      if (off + RECORD_HEADER + capLen > size) break;
      const ms = h.readUInt32LE(0) * 1000 + Math.floor(h.readUInt32LE(4) / 1000);
      if (packets === 0) startMs = ms;
      endMs = Math.max(endMs, ms);
      packets++;
      off += RECORD_HEADER + capLen;
    }
    return { packets, bytes: off, startMs, endMs };
  } finally {
    closeSync(fd);
  }
}
