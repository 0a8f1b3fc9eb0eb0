/**
 * One capture byte stream → batches of RawPacket: gunzips when the stream starts with gzip's
 * magic, then picks the pcap or pcapng reader by the magic bytes. Used for files, stdin and
 * in-memory buffers (fuzzing) alike.
 */
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { LlnError } from '../errors';
import { ChunkCursor } from './byte-chunk-reader';
import { detectFormat, isGzip, notCaptureError } from './magic';
import { readPcap } from './pcap-reader';
import { readPcapng } from './pcapng-reader';
import type { RawPacket } from './raw-packet';
import { type ReadContext, headerTruncated } from './read-context';

/**
 * Read size: big enough that per-chunk costs vanish, small enough that memory stays flat. Each
 * chunk's packets (a record object and a byte view each) stay alive until the pipeline is done
 * with the whole batch, across its awaits, so the young-generation GC copied and promoted up to
 * ~13k of them per scavenge at 1 MiB: 64 KiB measured CPU ×0.977 and peak RSS 216 against
 * 238 MiB (IoT capture ×10 replay, 9 pairs; wall time unchanged).
 */
export const CHUNK_BYTES = 1 << 16;

export async function* readCaptureStream(chunks: AsyncIterator<Buffer>, ctx: ReadContext): AsyncGenerator<RawPacket[]> {
  const raw = new ChunkCursor(chunks);
  let cur = raw;
  let gunzip: zlib.Gunzip | null = null;
  const gz = { truncated: false };
  try {
    await raw.ensure(4);
    if (raw.available === 0) {
      throw new LlnError('LLN_E_EMPTY', `${ctx.source} is empty (0 bytes): nothing to read; check that the capture was written`);
    }
    if (isGzip(raw.buf, raw.pos)) {
      gunzip = zlib.createGunzip({ chunkSize: CHUNK_BYTES });
      // Errors of either side surface through gunzip's iterator (pipeline destroys it with them).
      pipeline(Readable.from(raw.rest()), gunzip, () => {});
      cur = new ChunkCursor(gunzipChunks(gunzip, ctx, gz));
      await cur.ensure(4);
      if (cur.available === 0) {
        throw gz.truncated
          ? new LlnError('LLN_E_TRUNCATED', `${ctx.source}: gzip data ends before any capture data; the file is cut short`)
          : new LlnError('LLN_E_EMPTY', `${ctx.source}: gzip data decompresses to nothing; check that the capture was written`);
      }
    }
    if (cur.available < 4) throw headerTruncated(ctx, 'file header', cur.available, 4);
    const format = detectFormat(cur.buf, cur.pos);
    if (format === 'pcap') yield* readPcap(cur, ctx);
    else if (format === 'pcapng') yield* readPcapng(cur, ctx);
    else throw notCaptureError(ctx.source, cur.buf, cur.pos, gunzip !== null);

    if (gz.truncated && !ctx.stats.truncated) {
      ctx.stats.truncated = {
        byteOffset: cur.offset,
        message: `${ctx.source}: gzip data ends early after ${cur.offset} decompressed bytes; all complete packets before it were read`,
      };
    }
  } finally {
    if (gunzip !== null) {
      gunzip.destroy();
      // The pipeline may be inside a read of the raw source: do not wait for it.
      raw.close().catch(() => {});
    } else {
      await raw.close();
    }
  }
}

async function* gunzipChunks(gunzip: zlib.Gunzip, ctx: ReadContext, gz: { truncated: boolean }): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    if (e instanceof LlnError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR') {
      gz.truncated = true; // the compressed data stops mid-stream: treat as end of input
      return;
    }
    throw new LlnError(
      'LLN_E_UNREADABLE',
      `${ctx.source}: gzip data is corrupt (${err.message}); recompress the capture or read the uncompressed file`,
      { cause: e },
    );
  }
}
