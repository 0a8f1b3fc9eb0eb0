/**
 * Classic libpcap file reader: magic a1b2c3d4 (µs) or a1b23c4d (ns), either byte order.
 * Streams batches of RawPacket, one batch per pass over the current chunk.
 */
import { LlnError } from '../errors';
import type { ChunkCursor } from './byte-chunk-reader';
import { u32be, u32le, view } from './byte-order';
import type { RawPacket } from './raw-packet';
import { type ReadContext, badRecord, capLenLimit, headerTruncated, markTruncated } from './read-context';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** The link-type field's low 26 bits; the top bits can carry FCS information (libpcap LT_LINKTYPE). */
const LINKTYPE_MASK = 0x03ffffff;

export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  snaplen: number;
  linkType: number;
}

/** Parse the 24-byte file header at buf[pos]; the caller has checked the magic. */
export function parsePcapHeader(buf: Buffer, pos: number): PcapHeader {
  const magicLE = buf.readUInt32LE(pos);
  const littleEndian = magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS;
  const magic = littleEndian ? magicLE : buf.readUInt32BE(pos);
  const u32 = (o: number) => (littleEndian ? buf.readUInt32LE(pos + o) : buf.readUInt32BE(pos + o));
  return { littleEndian, nanosecond: magic === PCAP_MAGIC_NS, snaplen: u32(16), linkType: u32(20) & LINKTYPE_MASK };
}

export async function* readPcap(cur: ChunkCursor, ctx: ReadContext): AsyncGenerator<RawPacket[]> {
  if (!(await cur.ensure(FILE_HEADER))) throw headerTruncated(ctx, 'pcap file header', cur.available, FILE_HEADER);
  const hdr = parsePcapHeader(cur.buf, cur.pos);
  cur.pos += FILE_HEADER;

  const le = hdr.littleEndian;
  const maxCap = capLenLimit(hdr.snaplen);
  const fracScale = hdr.nanosecond ? 1 : 1000;
  const fracLimit = hdr.nanosecond ? 1_000_000_000 : 1_000_000;
  const tsDigits = hdr.nanosecond ? 9 : 6;
  const linkType = hdr.linkType;
  const source = ctx.source;
  const u32 = le ? u32le : u32be;

  for (;;) {
    const buf = cur.buf;
    const len = buf.length;
    let pos = cur.pos;
    let frame = ctx.nextFrame;
    let error: LlnError | null = null;
    const batch: RawPacket[] = [];

    // Hot loop: every record wholly inside this chunk, no copies.
    while (pos + RECORD_HEADER <= len) {
      const capLen = u32(buf, pos + 8);
      if (capLen > maxCap) {
        error = badRecord(ctx, cur.offset + (pos - cur.pos), capLen, maxCap);
        break;
      }
      const end = pos + RECORD_HEADER + capLen;
      if (end > len) break;
      let tsSec = u32(buf, pos);
      let frac = u32(buf, pos + 4);
      if (frac >= fracLimit) {
        // Some writers overflow the fraction; carry it into the seconds so tsNsec stays < 1e9.
        tsSec += Math.floor(frac / fracLimit);
        frac %= fracLimit;
      }
      batch.push({
        frame: frame++,
        tsSec,
        tsNsec: frac * fracScale,
        tsDigits,
        capLen,
        origLen: u32(buf, pos + 12),
        linkType,
        interfaceId: 0,
        data: view(buf, pos + RECORD_HEADER, capLen),
        source,
      });
      pos = end;
    }

    cur.pos = pos;
    ctx.nextFrame = frame;
    ctx.stats.packets += batch.length;
    if (batch.length > 0) yield batch;
    if (error) throw error;

    // Slow path: the next record straddles the chunk end (or the input ends).
    if (!(await cur.ensure(RECORD_HEADER))) {
      if (cur.available > 0) markTruncated(ctx, cur.offset, cur.available, RECORD_HEADER, 'record header');
      return;
    }
    const capLen = u32(cur.buf, cur.pos + 8);
    if (capLen > maxCap) continue; // the hot loop reports it with the right offset
    if (!(await cur.ensure(RECORD_HEADER + capLen))) {
      markTruncated(ctx, cur.offset, cur.available, RECORD_HEADER + capLen, 'record');
      return;
    }
  }
}
