import type { RawPacket } from '../raw-packet';
import type { DecodedPacket } from './decoded-packet';
import { decodeLink } from './link';
import { newDecodedPacket, resetDecodedPacket } from './new-packet';

export type { DecodedPacket, DecodeErrorCode, DnsInfo, L3Kind } from './decoded-packet';
export { DecodeCounters } from './decode-counters';

/**
 * Decode a captured record's headers as far as its bytes allow. Never throws: problems are
 * recorded in `error` (the first one seen) and decoding stops at the layer that failed.
 */
export function decode(raw: RawPacket): DecodedPacket {
  const p = newDecodedPacket(raw);
  const d = raw.data;
  const end = raw.capLen < d.length ? raw.capLen : d.length;
  decodeLink(p, d, end, raw.linkType);
  return p;
}

/**
 * decode(raw), written into `into` (every field, see resetDecodedPacket) instead of a new object:
 * for callers that are done with the previous packet before decoding the next.
 */
export function decodeInto(into: DecodedPacket, raw: RawPacket): DecodedPacket {
  const p = resetDecodedPacket(into, raw);
  const d = raw.data;
  const end = raw.capLen < d.length ? raw.capLen : d.length;
  decodeLink(p, d, end, raw.linkType);
  return p;
}
