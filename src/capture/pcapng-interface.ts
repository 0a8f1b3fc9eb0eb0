/** pcapng Interface Description Block: link type, snaplen and the options that shape timestamps. */
import { LlnError } from '../errors';
import { capLenLimit } from './read-context';
import { DEFAULT_TS_RESOLUTION, type TsResolution, tsResolution } from './pcapng-timestamp';

export interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Largest captured length accepted (see capLenLimit). */
  maxCap: number;
  res: TsResolution;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  tsOffsetSec: number;
}

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/**
 * Parse an IDB whose block starts at buf[pos] and is blen bytes long (blen ≥ 20, checked).
 * Malformed options end the option list (as Wireshark does) rather than failing the file;
 * an if_tsresol no 64-bit count can express is an error (every timestamp would be wrong).
 */
export function parseInterfaceBlock(
  buf: Buffer,
  pos: number,
  blen: number,
  le: boolean,
  where: () => string,
): PcapngInterface {
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const snaplen = u32(pos + 12);
  const iface: PcapngInterface = {
    linkType: u16(pos + 8),
    snaplen,
    maxCap: capLenLimit(snaplen),
    res: DEFAULT_TS_RESOLUTION,
    tsOffsetSec: 0,
  };
  const end = pos + blen - 4;
  let o = pos + 16;
  while (o + 4 <= end) {
    const code = u16(o);
    const len = u16(o + 2);
    const value = o + 4;
    if (code === OPT_END || value + len > end) break;
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const res = tsResolution(buf[value]);
      if (res === null) {
        throw new LlnError(
          'LLN_E_BAD_BLOCK',
          `${where()}: interface timestamp resolution byte 0x${buf[value].toString(16)} (if_tsresol) cannot be used; the file is corrupt`,
        );
      }
      iface.res = res;
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      // Signed 64-bit seconds; values beyond 2^53 are nonsense anyway.
      const hi = le ? buf.readInt32LE(value + 4) : buf.readInt32BE(value);
      const lo = le ? buf.readUInt32LE(value) : buf.readUInt32BE(value + 4);
      iface.tsOffsetSec = hi * 4294967296 + lo;
    }
    o = value + ((len + 3) & ~3);
  }
  return iface;
}
