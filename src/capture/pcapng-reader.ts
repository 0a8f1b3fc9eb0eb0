/**
 * pcapng reader: sections (SHB, either byte order, several per file), interfaces (IDB, each
 * with its own link type, snaplen and if_tsresol), packets (EPB, SPB, obsolete PB). Every
 * other block type is skipped by its length. Streams one batch per pass over a chunk.
 */
import { LlnError } from '../errors';
import type { ChunkCursor } from './byte-chunk-reader';
import { u32be, u32le, view } from './byte-order';
import { type PcapngInterface, parseInterfaceBlock } from './pcapng-interface';
import { splitTimestamp, tsOut } from './pcapng-timestamp';
import type { RawPacket } from './raw-packet';
import { MAX_RECORD_BYTES, type ReadContext, badRecord, headerTruncated, markTruncated } from './read-context';

export const PCAPNG_SHB = 0x0a0d0d0a;
const IDB = 1;
const PB = 2;
const SPB = 3;
const EPB = 6;
const BOM = 0x1a2b3c4d;
const BOM_SWAPPED = 0x4d3c2b1a;
const MIN_BLOCK = 12;
const MIN_SHB = 28;
const MAX_BLOCK = MAX_RECORD_BYTES + 65536; // room for a maximal packet plus options

function badBlock(ctx: ReadContext, offset: number, what: string): LlnError {
  return new LlnError(
    'LLN_E_BAD_BLOCK',
    `${ctx.source}: pcapng block at byte ${offset}: ${what}; the file is corrupt from there on — packets before it were read`,
  );
}

/** Byte order from an SHB's byte-order magic at buf[pos+8]; null if it is neither. */
function sectionByteOrder(buf: Buffer, pos: number): boolean | null {
  const bom = buf.readUInt32LE(pos + 8);
  return bom === BOM ? true : bom === BOM_SWAPPED ? false : null;
}

/** Length field of the block at buf[pos] (SHB: in the byte order its own magic declares). */
function blockLength(buf: Buffer, pos: number, le: boolean): number {
  if (buf.readUInt32LE(pos) === PCAPNG_SHB) le = sectionByteOrder(buf, pos) ?? le;
  return (le ? u32le : u32be)(buf, pos + 4);
}

export async function* readPcapng(cur: ChunkCursor, ctx: ReadContext): AsyncGenerator<RawPacket[]> {
  if (!(await cur.ensure(MIN_BLOCK))) throw headerTruncated(ctx, 'pcapng section header', cur.available, MIN_SHB);
  const first = sectionByteOrder(cur.buf, cur.pos);
  if (first === null) {
    const bom = cur.buf.readUInt32BE(cur.pos + 8).toString(16).padStart(8, '0');
    throw badBlock(ctx, cur.offset, `section header byte-order magic is ${bom}, expected 1a2b3c4d in either byte order`);
  }
  const shbLen = blockLength(cur.buf, cur.pos, first);
  if (shbLen >= MIN_SHB && shbLen <= MAX_BLOCK && !(await cur.ensure(shbLen))) {
    throw headerTruncated(ctx, 'pcapng section header block', cur.available, shbLen);
  }

  let le = first;
  let u32 = le ? u32le : u32be;
  let ifaces: PcapngInterface[] = [];
  const source = ctx.source;

  for (;;) {
    const buf = cur.buf;
    const len = buf.length;
    const start = cur.pos;
    let pos = start;
    let frame = ctx.nextFrame;
    let error: LlnError | null = null;
    const batch: RawPacket[] = [];
    // Stream offset of buf[x] is base + x (no closure over `pos`: it would slow the hot loop).
    const base = cur.offset - start;

    try {
      while (pos + MIN_BLOCK <= len) {
        let type = u32le(buf, pos);
        if (type === PCAPNG_SHB) {
          const order = sectionByteOrder(buf, pos);
          if (order === null) throw badBlock(ctx, base + pos, 'section header byte-order magic is invalid');
          le = order;
          u32 = le ? u32le : u32be;
        } else if (!le) {
          type = u32be(buf, pos);
        }
        const blen = u32(buf, pos + 4);
        if (blen < MIN_BLOCK || (blen & 3) !== 0 || blen > MAX_BLOCK) {
          throw badBlock(ctx, base + pos, `length ${blen} is invalid (must be a multiple of 4, 12..${MAX_BLOCK})`);
        }
        if (pos + blen > len) break; // straddles the chunk: slow path below
        const trailer = u32(buf, pos + blen - 4);
        if (trailer !== blen) throw badBlock(ctx, base + pos, `leading length ${blen} and trailing length ${trailer} differ`);

        if (type === EPB) {
          if (blen < 32) throw badBlock(ctx, base + pos, `enhanced packet block of ${blen} bytes is too short`);
          const ifId = u32(buf, pos + 8);
          const iface = ifaces[ifId];
          if (iface === undefined) throw missingInterface(ctx, base + pos, ifId, ifaces.length);
          const capLen = u32(buf, pos + 20);
          if (capLen > blen - 32) throw badBlock(ctx, base + pos, `captured length ${capLen} exceeds the block`);
          if (capLen > iface.maxCap) throw badRecord(ctx, base + pos, capLen, iface.maxCap);
          const hi = u32(buf, pos + 12);
          const lo = u32(buf, pos + 16);
          splitTimestamp(hi, lo, iface.res);
          batch.push({
            frame: frame++,
            tsSec: tsOut.sec + iface.tsOffsetSec,
            tsNsec: tsOut.nsec,
            tsDigits: iface.res.digits,
            capLen,
            origLen: u32(buf, pos + 24),
            linkType: iface.linkType,
            interfaceId: ifId,
            data: view(buf, pos + 28, capLen),
            source,
          });
        } else if (type === PCAPNG_SHB) {
          if (blen < MIN_SHB) throw badBlock(ctx, base + pos, `section header block of ${blen} bytes is too short`);
          ifaces = []; // interface ids are per section
        } else if (type === IDB) {
          if (blen < 20) throw badBlock(ctx, base + pos, `interface description block of ${blen} bytes is too short`);
          const offset = base + pos;
          ifaces.push(parseInterfaceBlock(buf, pos, blen, le, () => `${source}: pcapng block at byte ${offset}`));
        } else if (type === SPB || type === PB) {
          const pkt =
            type === SPB
              ? simplePacket(ctx, buf, pos, blen, le, ifaces, base + pos)
              : obsoletePacket(ctx, buf, pos, blen, le, ifaces, base + pos);
          pkt.frame = frame++;
          batch.push(pkt);
        }
        pos += blen;
      }
    } catch (e) {
      if (!(e instanceof LlnError)) throw e;
      error = e;
    }

    cur.pos = pos;
    ctx.nextFrame = frame;
    ctx.stats.packets += batch.length;
    if (batch.length > 0) yield batch;
    if (error) throw error;

    // Slow path: the next block straddles the chunk end (or the input ends).
    if (!(await cur.ensure(MIN_BLOCK))) {
      if (cur.available > 0) markTruncated(ctx, cur.offset, cur.available, MIN_BLOCK, 'block header');
      return;
    }
    const blen = blockLength(cur.buf, cur.pos, le);
    if (blen < MIN_BLOCK || (blen & 3) !== 0 || blen > MAX_BLOCK) continue; // the loop reports it
    if (!(await cur.ensure(blen))) {
      markTruncated(ctx, cur.offset, cur.available, blen, 'block');
      return;
    }
  }
}

function missingInterface(ctx: ReadContext, offset: number, ifId: number, count: number): LlnError {
  const defined = count === 0 ? 'no interface is defined yet' : `the section defines only ${count} (0..${count - 1})`;
  return badBlock(ctx, offset, `packet refers to interface ${ifId}, but ${defined}`);
}

/** SPB: no interface id (interface 0), no timestamp; captured length = min(original, snaplen, room). */
function simplePacket(
  ctx: ReadContext, buf: Buffer, pos: number, blen: number, le: boolean, ifaces: PcapngInterface[], offset: number,
): RawPacket {
  if (blen < 16) throw badBlock(ctx, offset, `simple packet block of ${blen} bytes is too short`);
  const iface = ifaces[0];
  if (iface === undefined) throw missingInterface(ctx, offset, 0, 0);
  const origLen = (le ? u32le : u32be)(buf, pos + 8);
  let capLen = Math.min(origLen, blen - 16);
  if (iface.snaplen !== 0) capLen = Math.min(capLen, iface.snaplen);
  return packet(ctx, buf, pos + 12, capLen, origLen, 0, 0, 0, iface.res.digits, iface);
}

/** Obsolete Packet Block (type 2): like an EPB with a 16-bit interface id and a drops counter. */
function obsoletePacket(
  ctx: ReadContext, buf: Buffer, pos: number, blen: number, le: boolean, ifaces: PcapngInterface[], offset: number,
): RawPacket {
  if (blen < 32) throw badBlock(ctx, offset, `packet block of ${blen} bytes is too short`);
  const read = le ? u32le : u32be;
  const u32 = (o: number) => read(buf, pos + o);
  const ifId = le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
  const iface = ifaces[ifId];
  if (iface === undefined) throw missingInterface(ctx, offset, ifId, ifaces.length);
  const capLen = u32(20);
  if (capLen > blen - 32) throw badBlock(ctx, offset, `captured length ${capLen} exceeds the block`);
  if (capLen > iface.maxCap) throw badRecord(ctx, offset, capLen, iface.maxCap);
  splitTimestamp(u32(12), u32(16), iface.res);
  return packet(ctx, buf, pos + 28, capLen, u32(24), ifId, tsOut.sec + iface.tsOffsetSec, tsOut.nsec, iface.res.digits, iface);
}

function packet(
  ctx: ReadContext, buf: Buffer, dataPos: number, capLen: number, origLen: number, ifId: number,
  tsSec: number, tsNsec: number, tsDigits: number, iface: PcapngInterface,
): RawPacket {
  return {
    frame: 0,
    tsSec,
    tsNsec,
    tsDigits,
    capLen,
    origLen,
    linkType: iface.linkType,
    interfaceId: ifId,
    data: view(buf, dataPos, capLen),
    source: ctx.source,
  };
}
