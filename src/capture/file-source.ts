/**
 * Capture files (pcap, pcapng, gzip of either; '-' = standard input) read one after another as a
 * single PacketSource, frame numbers continuing across files.
 */
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { LlnError } from '../errors';
import { CHUNK_BYTES, readCaptureStream } from './capture-stream';
import type { PacketSource, RawPacket, SourceStats } from './raw-packet';
import type { ReadContext } from './read-context';

export const STDIN_PATH = '-';
const STDIN_NAME = '<stdin>';

export interface OpenCaptureOptions {
  /** Frame number of the first packet (default 1). */
  firstFrame?: number;
}

export function openCaptureFiles(paths: string[], opts: OpenCaptureOptions = {}): PacketSource {
  return new FileCaptureSource(paths, opts.firstFrame ?? 1);
}

/** Fail fast, before any work, when a path cannot be read as a capture. '-' (stdin) always passes. */
export async function checkCaptureFile(path: string): Promise<void> {
  if (path === STDIN_PATH) return;
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw fsError(e, path);
  }
  if (info.isDirectory()) {
    throw new LlnError('LLN_E_IS_DIR', `${path} is a directory, not a capture file: pass the .pcap/.pcapng files inside it`);
  }
  try {
    // access(), not open(): opening a FIFO would block until a writer appears.
    await access(path, constants.R_OK);
  } catch (e) {
    throw fsError(e, path);
  }
  if (info.isFile() && info.size === 0) {
    throw new LlnError('LLN_E_EMPTY', `${path} is empty (0 bytes): nothing to read; check that the capture was written`);
  }
}

function fsError(e: unknown, path: string): LlnError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new LlnError('LLN_E_NOT_FOUND', `capture file not found: ${path} (check the path)`, { cause: e });
  }
  if (code === 'EISDIR') {
    return new LlnError('LLN_E_IS_DIR', `${path} is a directory, not a capture file: pass the files inside it`, { cause: e });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new LlnError('LLN_E_UNREADABLE', `cannot read ${path}: permission denied (fix its permissions or run as a user who can read it)`, { cause: e });
  }
  const why = e instanceof Error ? e.message : String(e);
  return new LlnError('LLN_E_UNREADABLE', `cannot read ${path}: ${why}`, { cause: e });
}

class FileCaptureSource implements PacketSource {
  readonly name: string;
  private readonly counters: SourceStats = { packets: 0, bytes: 0, unknownLinkType: 0 };
  private closed = false;
  private started = false;
  private current: Readable | null = null;

  constructor(
    private readonly paths: string[],
    private readonly firstFrame: number,
  ) {
    this.name = paths.map((p) => (p === STDIN_PATH ? STDIN_NAME : p)).join(', ');
  }

  stats(): SourceStats {
    const s = { ...this.counters };
    if (s.truncated) s.truncated = { ...s.truncated };
    return s;
  }

  close(): void {
    this.closed = true;
    // Unblocks a read waiting on a slow pipe; the iterator then ends quietly.
    this.current?.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RawPacket[]> {
    if (this.started) throw new LlnError('LLN_E_USAGE', `${this.name}: a capture source can be read only once; open it again`);
    this.started = true;
    const ctx: ReadContext = { source: '', nextFrame: this.firstFrame, stats: this.counters };
    for (const path of this.paths) {
      if (this.closed) return;
      await checkCaptureFile(path);
      const stdin = path === STDIN_PATH;
      ctx.source = stdin ? STDIN_NAME : path;
      const stream: Readable = stdin ? process.stdin : createReadStream(path, { highWaterMark: CHUNK_BYTES });
      this.current = stream;
      const truncatedBefore = this.counters.truncated;
      try {
        for await (const batch of readCaptureStream(this.countedChunks(stream, path), ctx)) {
          yield batch;
          if (this.closed) return;
        }
      } catch (e) {
        if (this.closed) return; // close() tore the stream down mid-read
        throw e;
      } finally {
        // close() (a signal, --limit) cuts the stream wherever it was: the reader then sees a record
        // cut short, but stopping is not truncation, so that cut is not reported.
        if (this.closed) this.counters.truncated = truncatedBefore;
        this.current = null;
        if (!stdin) stream.destroy();
      }
    }
  }

  /** Raw chunks of one input, counted into stats().bytes (file bytes, so progress can use the file size). */
  private async *countedChunks(stream: Readable, path: string): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) {
        this.counters.bytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } catch (e) {
      if (this.closed) return;
      throw fsError(e, path);
    }
  }
}
