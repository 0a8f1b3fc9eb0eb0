import { closeSync, openSync, writeSync } from 'node:fs';
import { LlnError } from '../errors';

export interface PcapWriterOptions {
  /** libpcap LINKTYPE_* of every record (1 = Ethernet). */
  linkType: number;
  /** Write the nanosecond magic (a1 b2 3c 4d) and ns fractions; default µs. */
  nanosecond?: boolean;
  /** Write big-endian headers (for reader tests); default little-endian. */
  bigEndian?: boolean;
  /** Snap length in the file header; longer records are cut to it (origLen kept). Default 262144. */
  snaplen?: number;
  /** Permission bits of a file it creates (before the umask); default 0o666. */
  mode?: number;
}

/** Records are packed into this buffer and flushed with one write: a syscall per packet would cap us far below 2M/s. */
const BUFFER_BYTES = 1 << 20;
const RECORD_HEADER = 16;

/**
 * Writes a classic libpcap file (v2.4). Synchronous buffered writes: a generator producing
 * millions of records gains nothing from async I/O, and sync writes keep record order trivial.
 */
export class PcapWriter {
  private fd: number;
  private readonly ownsFd: boolean;
  private buf: Buffer;
  private view: DataView;
  private pos = 0;
  private closed = false;
  private readonly le: boolean;
  private readonly ns: boolean;
  private readonly snaplen: number;
  readonly path: string;
  /** Records written so far. */
  records = 0;

  constructor(pathOrFd: string | number, opts: PcapWriterOptions) {
    this.le = !opts.bigEndian;
    this.ns = !!opts.nanosecond;
    this.snaplen = opts.snaplen ?? 262144;
    if (typeof pathOrFd === 'number') {
      this.fd = pathOrFd;
      this.ownsFd = false;
      this.path = `fd:${pathOrFd}`;
    } else {
      try {
        this.fd = openSync(pathOrFd, 'w', opts.mode ?? 0o666);
      } catch (e) {
        throw new LlnError('LLN_E_OUTPUT', `cannot create pcap file ${pathOrFd}: ${(e as Error).message}; check the folder exists and is writable`, { cause: e });
      }
      this.ownsFd = true;
      this.path = pathOrFd;
    }
    this.buf = Buffer.allocUnsafe(BUFFER_BYTES);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const v = this.view;
    v.setUint32(0, this.ns ? 0xa1b23c4d : 0xa1b2c3d4, this.le);
    v.setUint16(4, 2, this.le);
    v.setUint16(6, 4, this.le);
    v.setInt32(8, 0, this.le); // thiszone
    v.setUint32(12, 0, this.le); // sigfigs
    v.setUint32(16, this.snaplen, this.le);
    v.setUint32(20, opts.linkType >>> 0, this.le);
    this.pos = 24;
  }

  /** Bytes buffered and not yet in the file. */
  get pending(): number {
    return this.closed ? 0 : this.pos;
  }

  /** Append one record. tsNsec is always nanoseconds; µs files store floor(tsNsec/1000). */
  write(tsSec: number, tsNsec: number, data: Uint8Array, origLen?: number): void {
    if (this.closed) throw new LlnError('LLN_E_OUTPUT', `pcap writer for ${this.path} is closed; write before close()`);
    const capLen = data.length > this.snaplen ? this.snaplen : data.length;
    const need = RECORD_HEADER + capLen;
    if (this.pos + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) {
        this.buf = Buffer.allocUnsafe(need);
        this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      }
    }
    const v = this.view;
    const p = this.pos;
    v.setUint32(p, tsSec >>> 0, this.le);
    v.setUint32(p + 4, this.ns ? tsNsec >>> 0 : Math.floor(tsNsec / 1000) >>> 0, this.le);
    v.setUint32(p + 8, capLen, this.le);
    v.setUint32(p + 12, (origLen ?? data.length) >>> 0, this.le);
    if (capLen === data.length) this.buf.set(data, p + RECORD_HEADER);
    else this.buf.set(data.subarray(0, capLen), p + RECORD_HEADER);
    this.pos = p + need;
    this.records++;
  }

  private flush(): void {
    let off = 0;
    try {
      while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    } catch (e) {
      throw new LlnError('LLN_E_OUTPUT', `cannot write pcap file ${this.path}: ${(e as Error).message}; check free disk space`, { cause: e });
    }
    this.pos = 0;
  }

  /** Flush and close the file (an fd given by the caller is flushed but left open). */
  async close(): Promise<void> {
    this.closeSync();
  }

  /** close(), synchronously: a failed flush throws here, where the caller can handle it, not as a rejection. */
  closeSync(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      if (this.ownsFd) closeSync(this.fd);
    }
  }

  /** Close without writing what is buffered (after a write error: the file is cut back by its owner). */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    this.pos = 0;
    if (this.ownsFd) closeSync(this.fd);
  }
}
