/**
 * Address → string formatting for the decoder's hot path. Lookup tables instead of
 * toString/padStart: one string build per address, no intermediate arrays.
 */

const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Dotted-quad IPv4 address from 4 bytes at `off` (caller checked the length). */
export function formatIpv4(d: Uint8Array, off: number): string {
  return DEC[d[off]] + '.' + DEC[d[off + 1]] + '.' + DEC[d[off + 2]] + '.' + DEC[d[off + 3]];
}

/** 'aa:bb:cc:dd:ee:ff' (lowercase) from 6 bytes at `off`. */
export function formatMac(d: Uint8Array, off: number): string {
  return (
    HEX2[d[off]] + ':' + HEX2[d[off + 1]] + ':' + HEX2[d[off + 2]] + ':' +
    HEX2[d[off + 3]] + ':' + HEX2[d[off + 4]] + ':' + HEX2[d[off + 5]]
  );
}

// Reused scratch for the 8 groups: formatting runs one address at a time.
const groups = new Uint16Array(8);

/**
 * IPv6 address from 16 bytes at `off` in RFC 5952 canonical form (what tshark prints):
 * lowercase hex, no leading zeros, the longest run of ≥ 2 zero groups (the first one on a tie)
 * replaced by '::', and IPv4-mapped addresses (::ffff:0:0/96) in mixed dotted notation.
 */
export function formatIpv6(d: Uint8Array, off: number): string {
  for (let i = 0; i < 8; i++) groups[i] = (d[off + 2 * i] << 8) | d[off + 2 * i + 1];

  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 &&
    groups[4] === 0 && groups[5] === 0xffff
  ) {
    return '::ffff:' + formatIpv4(d, off + 12);
  }

  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }

  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += groups[i].toString(16);
  }
  return s;
}
