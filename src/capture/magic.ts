/** Which capture format a byte stream holds, from its first bytes (never from a file name). */
import { LlnError } from '../errors';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from './pcap-reader';
import { PCAPNG_SHB } from './pcapng-reader';

export type CaptureFormat = 'pcap' | 'pcapng' | 'gzip';

const swap32 = (x: number) => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
const PCAP_MAGICS = new Set([PCAP_MAGIC_US, PCAP_MAGIC_NS, swap32(PCAP_MAGIC_US), swap32(PCAP_MAGIC_NS)]);

export function isGzip(buf: Buffer, pos: number): boolean {
  return buf.length - pos >= 2 && buf[pos] === 0x1f && buf[pos + 1] === 0x8b;
}

/** Format of the 4 bytes at buf[pos], or null when none we read. */
export function detectFormat(buf: Buffer, pos: number): CaptureFormat | null {
  if (isGzip(buf, pos)) return 'gzip';
  const magic = buf.readUInt32BE(pos);
  if (magic === PCAPNG_SHB) return 'pcapng';
  if (PCAP_MAGICS.has(magic)) return 'pcap';
  return null;
}

export function notCaptureError(source: string, buf: Buffer, pos: number, gunzipped: boolean): LlnError {
  const hex = Array.from(buf.subarray(pos, pos + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const inside = gunzipped ? ' (inside the gzip data)' : '';
  return new LlnError(
    'LLN_E_NOT_PCAP',
    `${source} is not a capture file: it starts with ${hex}${inside}; accepted are pcap ` +
      `(a1b2c3d4 µs / a1b23c4d ns, either byte order), pcapng (0a0d0d0a) and gzip (1f 8b) of either`,
  );
}
