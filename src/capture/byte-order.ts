/**
 * Unsigned reads by hand: in the readers' hot loops these inline to a few byte loads, about
 * twice as fast as Buffer#readUInt32LE with its bounds checks (callers check bounds per record).
 */
export type U32Reader = (b: Uint8Array, p: number) => number;

export const u32le: U32Reader = (b, p) => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
export const u32be: U32Reader = (b, p) => b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);

/** A view on captured bytes: cheaper than Buffer#subarray (no species lookup), never a copy. */
export function view(b: Buffer, start: number, length: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, length);
}
