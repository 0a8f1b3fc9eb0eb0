const DNS_HEADER_LEN = 12;
const MAX_NAME_WIRE_LEN = 255; // RFC 1035 §2.3.4

// The name read last; module scratch so readName can return just the end offset.
let nameScratch = '';

/**
 * Read a (possibly compressed) domain name at `pos` into nameScratch. Returns the offset just
 * after the name where it started, or -1 if malformed. Loop-safe: a compression pointer must
 * point strictly before the label it replaces and after the header, so every jump goes back
 * and the walk ends; names longer than 255 wire bytes are rejected.
 */
export function readDnsName(d: Uint8Array, msgStart: number, pos: number, capEnd: number): number {
  let name = '';
  let wireLen = 0;
  let endAfterName = -1;
  let limit = pos; // a pointer must target an offset < the start of the current label run
  for (;;) {
    if (pos >= capEnd) return -1;
    const len = d[pos];
    if (len === 0) {
      if (endAfterName < 0) endAfterName = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 2 > capEnd) return -1;
      const target = msgStart + (((len & 0x3f) << 8) | d[pos + 1]);
      if (target >= limit || target < msgStart + DNS_HEADER_LEN) return -1;
      if (endAfterName < 0) endAfterName = pos + 2;
      pos = target;
      limit = target;
      continue;
    }
    if (kind !== 0) return -1; // 0x40 / 0x80: extended / reserved label types
    wireLen += len + 1;
    if (wireLen + 1 > MAX_NAME_WIRE_LEN || pos + 1 + len > capEnd) return -1;
    if (name.length > 0) name += '.';
    for (let i = pos + 1; i <= pos + len; i++) name += String.fromCharCode(d[i]);
    pos += len + 1;
  }
  nameScratch = name;
  return endAfterName;
}

/** The name decoded by the last successful readDnsName call. */
export function lastDnsName(): string {
  return nameScratch;
}

/** The name at `pos` in the message starting at `msgStart`, or null if malformed. */
export function dnsNameAt(d: Uint8Array, msgStart: number, pos: number, capEnd: number): string | null {
  return readDnsName(d, msgStart, pos, capEnd) < 0 ? null : nameScratch;
}
