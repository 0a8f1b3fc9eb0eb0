import { closeSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, statfsSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PcapWriter } from '../capture/pcap-writer';
import type { RawPacket } from '../capture/raw-packet';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../private-files';
import { logger } from '../logger';
import { describeFsError } from '../outputs/output-check';
import { formatDuration } from './duration';

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
  /** Told when writing pauses and resumes, and of packets not spooled meanwhile (the daemon's metrics). */
  observer?: SpoolObserver;
}

export interface SpoolObserver {
  paused(on: boolean): void;
  skipped(packets: number): void;
}

const FILE_RE = /^(\d+)-(\d+)-(\d+)\.pcap$/;
const PART_RE = /^(\d+)\.pcap\.part$/;
const PCAP_HEADER = 24;
const RECORD_HEADER = 16;
/** After a write error the spool tries again after 5 s, then twice as long each time, at most every 60 s. */
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 60_000;
/** A pause this soon after the last resume goes on with its back-off instead of starting over (a disk hovering at full). */
const FLAP_MS = 10 * 60_000;
/** Free space wanted, beyond what is kept free, before writing again (a few of the writer's 1 MiB flushes), at most the cap. */
const RESUME_FREE_BYTES = 4 * 1024 * 1024;
const PROBE_BYTES = 64 * 1024;
/**
 * Free space the spool leaves on its file system for the alerts database and the state files
 * (by default both live in the state dir with it): 5% of the file system, at most 1 GiB. Without
 * it a filling spool would leave the alerts no room, and a full disk there ends the daemon.
 */
const KEEP_FREE_SHARE = 0.05;
const KEEP_FREE_MAX = 1024 ** 3;
/** statfs again after this much was spooled since the last look (and every tick: others write there too). */
const LOOK_EVERY_BYTES = 256 * 1024;

/**
 * The training spool: what the sensor saw, in rolling classic pcap files
 * (`<first ms>-<last ms>-<packets>.pcap`; the one being written is `<first ms>.pcap.part`),
 * capped by total size and by age. The oldest closed files go first; the cap counts the file
 * being written too, so the folder never holds more than `maxBytes`.
 *
 * The spool is a means to learn and never costs detection: it leaves the last 5% of its file
 * system to the alerts, and a write error (a full disk, an I/O error) or that low space pauses it
 * with one warning; packets are then only counted, and it writes again, with one line, once a
 * probe finds space (tick(), with back-off). Nothing here throws at the capture path.
 */
export class TrainingSpool {
  private closed: SpoolFile[] = [];
  private writer: PcapWriter | null = null;
  private active: { file: string; startMs: number; endMs: number; packets: number; bytes: number; linkType: number; openedAt: number } | null = null;
  private readonly fileBytes: number;
  private readonly now: () => number;
  private pause: { since: number; retryAt: number; backoffMs: number; skipped: number } | null = null;
  private lastResume = { at: -Infinity, backoffMs: 0 };
  /** The last statfs: free bytes once the writer's buffer is written, bytes to keep free, bytes spooled since. */
  private space = { free: Infinity, keep: 0, since: Infinity }; // looked at before the first write

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

  /** True while low space or a write error keeps the spool from writing (packets are only counted). */
  get paused(): boolean {
    return this.pause !== null;
  }

  write(packets: RawPacket[]): void {
    if (this.pause) return this.skip(packets.length);
    let i = 0;
    try {
      for (; i < packets.length; i++) {
        const p = packets[i]!;
        const size = RECORD_HEADER + p.capLen;
        const ms = p.tsSec * 1000 + Math.floor(p.tsNsec / 1e6);
        if (this.active && (this.active.linkType !== p.linkType || this.active.bytes + size > this.fileBytes || this.now() - this.active.openedAt >= this.o.fileSeconds * 1000)) this.closeActive();
        const need = size + (this.active ? 0 : PCAP_HEADER);
        if (!this.roomFor(need)) {
          const s = this.space;
          this.stopWriting(`its file system is down to ${inUnits(s.free)} free, within the ${inUnits(s.keep)} (${KEEP_FREE_SHARE * 100}%, at most ${inUnits(KEEP_FREE_MAX)}) left to alerts and state`);
          this.skip(packets.length - i);
          return;
        }
        this.space.since += need;
        if (!this.active) this.open(p.linkType, ms);
        this.enforceCaps(size);
        const a = this.active!;
        this.writer!.write(p.tsSec, p.tsNsec, p.data, p.origLen);
        a.packets++;
        a.bytes += size;
        if (ms > a.endMs) a.endMs = ms;
      }
    } catch (e) {
      this.stopWriting(fsReason(e), e);
      this.skip(packets.length - i);
    }
  }

  /** Whether `bytes` more leave the file system its free share; statfs only now and then. */
  private roomFor(bytes: number): boolean {
    const s = this.space;
    if (s.since + bytes <= LOOK_EVERY_BYTES && s.free - s.since - bytes >= s.keep) return true;
    this.look();
    return this.space.free - bytes >= this.space.keep;
  }

  private look(): void {
    try {
      const st = statfsSync(this.o.dir);
      const keep = Math.min(KEEP_FREE_MAX, Math.floor(st.blocks * st.bsize * KEEP_FREE_SHARE));
      this.space = { free: st.bavail * st.bsize - (this.writer?.pending ?? 0), keep, since: 0 };
    } catch {
      this.space = { free: Infinity, keep: 0, since: 0 }; // no statfs: write errors still pause the spool
    }
  }

  /** Close the file being written (it becomes a training file); the next packet opens a new one. */
  rotate(): void {
    if (!this.active) return;
    try {
      this.closeActive();
    } catch (e) {
      this.stopWriting(fsReason(e), e);
    }
  }

  private closeActive(): void {
    const a = this.active!;
    this.writer!.closeSync();
    if (a.packets === 0) rmSync(a.file, { force: true });
    else {
      const file = path.join(this.o.dir, `${a.startMs}-${a.endMs}-${a.packets}.pcap`);
      renameSync(a.file, file);
      this.closed.push({ file, startMs: a.startMs, endMs: a.endMs, packets: a.packets, bytes: a.bytes });
    }
    this.writer = null;
    this.active = null;
  }

  /** Closed files, oldest first (what a training reads). Call rotate() first to include the newest packets. */
  files(): SpoolFile[] {
    return [...this.closed];
  }

  /** Remove everything (`lln-detect learn --reset`). */
  clear(): void {
    this.writer?.discard();
    this.writer = null;
    this.active = null;
    rmSync(this.o.dir, { recursive: true, force: true });
    makePrivateDir(this.o.dir);
    this.closed = [];
  }

  close(): void {
    this.rotate();
  }

  /** Periodic: age out old files (the size cap is kept on every write); while paused, try again when due. */
  tick(): void {
    try {
      this.enforceCaps(0);
    } catch (e) {
      if (!this.pause) this.stopWriting(fsReason(e), e);
    }
    if (!this.pause) this.look(); // the next write sees what others (the alerts database) took meanwhile
    else if (this.now() >= this.pause.retryAt) this.retry();
  }

  /**
   * One warning; capture goes on without the spool. The file being written is closed as a training
   * file, or after a write error (`error`) cut back to its complete records.
   */
  private stopWriting(reason: string, error?: unknown): void {
    let lost = 0;
    if (error !== undefined || !this.active) lost = this.abandonActive();
    else {
      try {
        this.closeActive();
      } catch {
        lost = this.abandonActive();
      }
    }
    const now = this.now();
    const again = now - this.lastResume.at < FLAP_MS;
    const backoffMs = again ? Math.min(this.lastResume.backoffMs * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    this.pause = { since: now, retryAt: now + backoffMs, backoffMs, skipped: 0 };
    this.skip(lost);
    this.o.observer?.paused(true);
    logger.warn(`training spool ${this.o.dir}: ${reason}; learning paused (capture, scoring and alerts go on); trying again in ${backoffMs / 1000} s, then at most every ${RETRY_MAX_MS / 1000} s`);
  }

  private skip(packets: number): void {
    if (packets <= 0 || !this.pause) return;
    this.pause.skipped += packets;
    this.o.observer?.skipped(packets);
  }

  /**
   * Stop writing the active file: cut it back to its complete records (what the disk took of the
   * last flush may end mid-record) and keep it as a training file. Returns the packets it lost.
   */
  private abandonActive(): number {
    const a = this.active, w = this.writer;
    this.active = null;
    this.writer = null;
    if (!a) return 0;
    try {
      w?.discard();
    } catch {
      /* the fd is gone either way */
    }
    try {
      const got = completeRecords(a.file);
      if (!got || got.packets === 0) {
        rmSync(a.file, { force: true });
        return a.packets;
      }
      truncateSync(a.file, got.bytes);
      const file = path.join(this.o.dir, `${got.startMs}-${got.endMs}-${got.packets}.pcap`);
      renameSync(a.file, file);
      this.closed.push({ file, startMs: got.startMs, endMs: got.endMs, packets: got.packets, bytes: got.bytes });
      return a.packets - got.packets;
    } catch {
      return a.packets; // left as a .part: the next start keeps its complete records (recoverParts)
    }
  }

  /** A probe, not packets: enough free space by statfs, and a real write (quotas, read-only remounts). */
  private retry(): void {
    const p = this.pause!;
    try {
      this.look();
      if (this.space.free < this.space.keep + Math.min(RESUME_FREE_BYTES, this.o.maxBytes)) throw new Error('not enough free space yet');
      const probe = path.join(this.o.dir, '.write-probe');
      const fd = openSync(probe, 'w', PRIVATE_FILE_MODE);
      try {
        const buf = Buffer.alloc(PROBE_BYTES);
        for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
      } finally {
        closeSync(fd);
        rmSync(probe, { force: true });
      }
    } catch {
      p.backoffMs = Math.min(p.backoffMs * 2, RETRY_MAX_MS);
      p.retryAt = this.now() + p.backoffMs;
      return;
    }
    this.pause = null;
    this.lastResume = { at: this.now(), backoffMs: p.backoffMs };
    this.o.observer?.paused(false);
    logger.info(`training spool ${this.o.dir}: writing again after ${formatDuration(this.now() - p.since)} paused (${p.skipped} packets were not spooled); learning goes on`);
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
      this.writer!.discard(); // removed anyway
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

function inUnits(bytes: number): string {
  if (bytes < 1024 ** 2) return `${Math.max(0, Math.round(bytes / 1024))} KiB`;
  return bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** "no space left on device" from the errno under a writer's error, else its message. */
function fsReason(e: unknown): string {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return describeFsError(c);
  }
  return (e as Error)?.message ?? String(e);
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
