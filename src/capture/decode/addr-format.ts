/**
 * Address → string formatting for the decoder's hot path. Lookup tables instead of
 * toString/padStart: one string build per address, no intermediate arrays.
 */

const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/*
 * Direct-mapped caches, address value → string. Captures repeat the same few hosts over and
 * over: a hit costs no string building and no allocation, and hands out the SAME string object
 * each time. Later stages read, compare and hash it far faster than a fresh one: V8 flattens a
 * concatenated (cons) string in place on its first read and caches its hash in the object, so
 * that work is done once per address instead of once per packet. A miss overwrites the entry.
 */
const V4_BITS = 12;
const v4Keys = new Int32Array(1 << V4_BITS);
const v4Strs: string[] = new Array<string>(1 << V4_BITS).fill('');
const MAC_BITS = 10;
const macHi = new Int32Array(1 << MAC_BITS);
const macLo = new Int32Array(1 << MAC_BITS);
const macStrs: string[] = new Array<string>(1 << MAC_BITS).fill('');

/** Dotted-quad IPv4 address from 4 bytes at `off` (caller checked the length). */
export function formatIpv4(d: Uint8Array, off: number): string {
  const v = (d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3];
  const i = Math.imul(v, 0x9e3779b1) >>> (32 - V4_BITS);
  const cached = v4Strs[i];
  if (v4Keys[i] === v && cached !== '') return cached;
  const s = DEC[d[off]] + '.' + DEC[d[off + 1]] + '.' + DEC[d[off + 2]] + '.' + DEC[d[off + 3]];
  v4Keys[i] = v;
  v4Strs[i] = s;
  return s;
}

/** 'aa:bb:cc:dd:ee:ff' (lowercase) from 6 bytes at `off`. */
export function formatMac(d: Uint8Array, off: number): string {
  const hi = (d[off] << 8) | d[off + 1];
  const lo = (d[off + 2] << 24) | (d[off + 3] << 16) | (d[off + 4] << 8) | d[off + 5];
  const i = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - MAC_BITS);
  const cached = macStrs[i];
  if (macLo[i] === lo && macHi[i] === hi && cached !== '') return cached;
  const s =
    HEX2[d[off]] + ':' + HEX2[d[off + 1]] + ':' + HEX2[d[off + 2]] + ':' +
    HEX2[d[off + 3]] + ':' + HEX2[d[off + 4]] + ':' + HEX2[d[off + 5]];
  macHi[i] = hi;
  macLo[i] = lo;
  macStrs[i] = s;
  return s;
}

// Reused scratch for the 8 groups: formatting runs one address at a time.
const groups = new Uint16Array(8);

/**
 * IPv6 address from 16 bytes at `off` in RFC 5952 canonical form (what tshark prints):
 * lowercase hex, no leading zeros, the longest run of ≥ 2 zero groups (the first one on a tie)
 * replaced by '::', and IPv4-mapped addresses (::ffff:0:0/96) in mixed dotted notation.
 */
export function formatIpv6(d: Uint8Array, off: number): string {
  const w0 = word(d, off);
  const w1 = word(d, off + 4);
  const w2 = word(d, off + 8);
  const w3 = word(d, off + 12);
  const k = Math.imul(w0 ^ Math.imul(w1 ^ Math.imul(w2 ^ Math.imul(w3, 0x85ebca6b), 0xc2b2ae35), 0x85ebca6b), 0x9e3779b1) >>> (32 - V6_BITS);
  const cached = v6Strs[k];
  const c = k << 2;
  if (v6Keys[c] === w0 && v6Keys[c + 1] === w1 && v6Keys[c + 2] === w2 && v6Keys[c + 3] === w3 && cached !== '') return cached;
  const s = formatIpv6Uncached(d, off);
  v6Keys[c] = w0;
  v6Keys[c + 1] = w1;
  v6Keys[c + 2] = w2;
  v6Keys[c + 3] = w3;
  v6Strs[k] = s;
  return s;
}

const V6_BITS = 10;
const v6Keys = new Int32Array(4 << V6_BITS);
const v6Strs: string[] = new Array<string>(1 << V6_BITS).fill('');

function word(d: Uint8Array, off: number): number {
  return (d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3];
}

function formatIpv6Uncached(d: Uint8Array, off: number): string {
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

/*
 * Memo for ipv4Number, string → number, indexed by the string's length and last four chars
 * (where addresses of one network differ) and checked with ===: for a string the cache above
 * handed out again that is a pointer compare, so a decoded address is parsed once, not once
 * per packet.
 */
const MEMO_BITS = 11;
const memoStrs: string[] = new Array<string>(1 << MEMO_BITS).fill('');
const memoNums = new Float64Array(1 << MEMO_BITS);

function memoSlot(s: string, n: number): number {
  const h = ((n * 31 + s.charCodeAt(n - 1)) * 31 + s.charCodeAt(n - 2)) * 31 + s.charCodeAt(n - 3);
  return Math.imul(h * 31 + s.charCodeAt(n - 4), 0x9e3779b1) >>> (32 - MEMO_BITS);
}

/**
 * The inverse of formatIpv4: the address as a number in [0, 2^32) when `s` is exactly what
 * formatIpv4 prints (dotted quad, no leading zeros), else -1. Lets the context tables key
 * IPv4 hosts by number; being exact (canonical form only) keeps number and string keys of
 * one address from ever both existing.
 */
export function ipv4Number(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  const i = memoSlot(s, n);
  if (memoStrs[i] === s) return memoNums[i];
  const v = parseIpv4(s, n);
  memoStrs[i] = s;
  memoNums[i] = v;
  return v;
}

function parseIpv4(s: string, n: number): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || (digits > 0 && part === 0)) return -1;
      part = part * 10 + d;
      if (part > 255) return -1;
      digits++;
    }
  }
  return dots === 3 && digits > 0 ? v * 256 + part : -1;
}
