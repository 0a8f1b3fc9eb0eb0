import { LlnError } from '../errors';
import type { SourceStats } from './raw-packet';

/** State a format reader shares with the source driving it. */
export interface ReadContext {
  /** Name put on every RawPacket (the file path, or '-' for stdin). */
  source: string;
  /** Frame number the next packet gets (continues across files). */
  nextFrame: number;
  stats: SourceStats;
}

/** Largest record we accept, whatever the header claims (a corrupt length must not allocate GBs). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Largest captured length accepted for a given snaplen. Like Wireshark, a record longer than the
 * file's snaplen is tolerated (writers often record a wrong or zero snaplen) up to 262144 bytes,
 * the largest packet libpcap and Wireshark produce for ordinary link types; beyond
 * max(snaplen, 262144) a length is taken as corruption. Never more than 256 MiB.
 */
export function capLenLimit(snaplen: number): number {
  if (snaplen === 0) return MAX_RECORD_BYTES;
  return Math.min(Math.max(snaplen, 262144), MAX_RECORD_BYTES);
}

export function badRecord(ctx: ReadContext, offset: number, capLen: number, limit: number): LlnError {
  return new LlnError(
    'LLN_E_BAD_RECORD',
    `${ctx.source}: record at byte ${offset} claims ${capLen} captured bytes, more than the limit of ${limit} ` +
      `(snaplen rule); the file is corrupt from there on — packets before it were read`,
  );
}

export function headerTruncated(ctx: ReadContext, what: string, have: number, need: number): LlnError {
  return new LlnError(
    'LLN_E_TRUNCATED',
    `${ctx.source}: ${what} is cut short (${have} of ${need} bytes); the file is incomplete or not a capture`,
  );
}

/** The input ended inside a record: keep what was read, note where (the CLI warns with it). */
export function markTruncated(ctx: ReadContext, offset: number, have: number, need: number, what: string): void {
  if (ctx.stats.truncated) return; // keep the first one: later files cannot hide it
  ctx.stats.truncated = {
    byteOffset: offset,
    message:
      `${ctx.source}: last ${what} at byte ${offset} is cut short (${have} of ${need} bytes); ` +
      `all complete packets before it were read (was the capture still being written?)`,
  };
}
