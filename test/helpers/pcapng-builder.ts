/**
 * Test fixtures built in code: a pcapng builder (sections in either byte order, interfaces with
 * options, EPB/SPB/obsolete PB, arbitrary blocks) and a tiny classic-pcap builder.
 */

class ByteWriter {
  private parts: Buffer[] = [];
  constructor(readonly le: boolean) {}
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigUInt64LE(BigInt.asUintN(64, v));
    else b.writeBigUInt64BE(BigInt.asUintN(64, v));
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  /** Zero bytes up to a multiple of 4. */
  pad4(): this {
    const n = this.length % 4;
    if (n) this.parts.push(Buffer.alloc(4 - n));
    return this;
  }
  get length(): number {
    return this.parts.reduce((s, p) => s + p.length, 0);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface IdbOptions {
  /** Raw if_tsresol byte: 6 = µs, 9 = ns, 0x80|10 = 2^-10 s. Omitted = default (µs). */
  tsresol?: number;
  /** if_tsoffset seconds. */
  tsoffset?: bigint;
  name?: string;
}

export class PcapngBuilder {
  private blocks: Buffer[] = [];
  private le: boolean;

  constructor(opts: { littleEndian?: boolean } = {}) {
    this.le = opts.littleEndian ?? true;
    this.shb();
  }

  /** Start a new section (optionally switching byte order); interface ids restart at 0. */
  shb(opts: { littleEndian?: boolean } = {}): this {
    if (opts.littleEndian !== undefined) this.le = opts.littleEndian;
    const body = new ByteWriter(this.le).u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n);
    return this.block(0x0a0d0d0a, body.build());
  }

  idb(linkType: number, snaplen: number, opts: IdbOptions = {}): this {
    const w = new ByteWriter(this.le).u16(linkType).u16(0).u32(snaplen);
    if (opts.name !== undefined) this.option(w, 2, Buffer.from(opts.name));
    if (opts.tsresol !== undefined) this.option(w, 9, Buffer.from([opts.tsresol]));
    if (opts.tsoffset !== undefined) this.option(w, 14, new ByteWriter(this.le).u64(opts.tsoffset).build());
    if (opts.name !== undefined || opts.tsresol !== undefined || opts.tsoffset !== undefined) w.u16(0).u16(0);
    return this.block(1, w.build());
  }

  /** Enhanced Packet Block; `units` is the 64-bit timestamp in the interface's resolution. */
  epb(ifId: number, units: bigint, data: Uint8Array, origLen = data.length): this {
    const w = new ByteWriter(this.le)
      .u32(ifId)
      .u32(Number(units >> 32n))
      .u32(Number(units & 0xffffffffn))
      .u32(data.length)
      .u32(origLen)
      .bytes(data)
      .pad4();
    return this.block(6, w.build());
  }

  /** Simple Packet Block: original length + as many bytes as given (the reader applies snaplen). */
  spb(data: Uint8Array, origLen = data.length): this {
    return this.block(3, new ByteWriter(this.le).u32(origLen).bytes(data).pad4().build());
  }

  /** Obsolete Packet Block (type 2). */
  pb(ifId: number, units: bigint, data: Uint8Array, origLen = data.length): this {
    const w = new ByteWriter(this.le)
      .u16(ifId)
      .u16(0)
      .u32(Number(units >> 32n))
      .u32(Number(units & 0xffffffffn))
      .u32(data.length)
      .u32(origLen)
      .bytes(data)
      .pad4();
    return this.block(2, w.build());
  }

  /** Any block type with a given body (padded to 4): unknown/custom blocks, statistics... */
  block(type: number, body: Buffer): this {
    const padded = body.length % 4 ? Buffer.concat([body, Buffer.alloc(4 - (body.length % 4))]) : body;
    const total = 12 + padded.length;
    this.blocks.push(new ByteWriter(this.le).u32(type).u32(total).bytes(padded).u32(total).build());
    return this;
  }

  /** Bytes appended as they are (to build corrupt files). */
  raw(bytes: Uint8Array): this {
    this.blocks.push(Buffer.from(bytes));
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.blocks);
  }

  private option(w: ByteWriter, code: number, value: Buffer): void {
    w.u16(code).u16(value.length).bytes(value).pad4();
  }
}

export interface PcapRecord {
  sec: number;
  /** µs or ns, per the file's magic. */
  frac: number;
  data: Uint8Array;
  origLen?: number;
  /** Override the captured-length field (to build corrupt records). */
  capLenField?: number;
}

export interface PcapFileOptions {
  littleEndian?: boolean;
  nanosecond?: boolean;
  snaplen?: number;
  linkType?: number;
}

/** Classic libpcap file. */
export function buildPcap(opts: PcapFileOptions, records: PcapRecord[]): Buffer {
  const w = new ByteWriter(opts.littleEndian ?? true)
    .u32(opts.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(opts.snaplen ?? 65535)
    .u32(opts.linkType ?? 1);
  for (const r of records) {
    w.u32(r.sec).u32(r.frac).u32(r.capLenField ?? r.data.length).u32(r.origLen ?? r.data.length).bytes(r.data);
  }
  return w.build();
}

/** Deterministic pseudo-random bytes (mulberry32), so fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}
