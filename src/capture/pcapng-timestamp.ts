/**
 * pcapng timestamps: a 64-bit count of units per interface, the unit set by if_tsresol
 * (10^-n or 2^-n seconds, default 10^-6). Converted to whole seconds + nanoseconds exactly,
 * without BigInt on the hot path: a double holds counts up to 2^53 exactly (µs timestamps
 * for the next 285 years); beyond that (ns timestamps) a 16-bit long division does it.
 */
export interface TsResolution {
  /** Units per second. */
  divisor: number;
  /** Multiply the sub-second remainder by this to get ns (0 when `nsDiv` applies). */
  nsMul: number;
  /** Or divide by this (resolutions finer than 1 ns). */
  nsDiv: number;
  /** For printing: 6 or 9 (see RawPacket.tsDigits). */
  digits: number;
  /** Divisor too large for the long division: use BigInt (exotic resolutions only). */
  big: bigint | null;
}

const TWO32 = 4294967296;
// r * 65536 stays below 2^48, so each float quotient digit (< 65536) is exact.
const LONG_DIVISION_MAX = 2 ** 32;

/** Decode an if_tsresol byte; null if it cannot be represented in 64-bit units. */
export function tsResolution(tsresol: number): TsResolution | null {
  const pow2 = (tsresol & 0x80) !== 0;
  const exp = tsresol & 0x7f;
  if (pow2 ? exp > 63 : exp > 19) return null;
  const divisor = pow2 ? 2 ** exp : 10 ** exp;
  const decimalDigits = pow2 ? Math.ceil(exp * Math.log10(2)) : exp;
  let nsMul = 0;
  let nsDiv = 0;
  if (!pow2 && exp <= 9) nsMul = 10 ** (9 - exp);
  else if (!pow2) nsDiv = 10 ** (exp - 9);
  return {
    divisor,
    nsMul,
    nsDiv,
    digits: decimalDigits <= 6 ? 6 : 9,
    big: divisor > LONG_DIVISION_MAX ? (pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp)) : null,
  };
}

export const DEFAULT_TS_RESOLUTION = tsResolution(6) as TsResolution;

/** Result slots of `splitTimestamp` (module scratch: no allocation per packet). */
export const tsOut = { sec: 0, nsec: 0 };

/** Split a (high, low) unit count into tsOut.sec / tsOut.nsec. */
export function splitTimestamp(high: number, low: number, res: TsResolution): void {
  const d = res.divisor;
  let sec: number;
  let rem: number;
  if (high < 0x200000) {
    // < 2^53: exact in a double. The float division may be off by one at the boundary: fix it.
    const units = high * TWO32 + low;
    sec = Math.floor(units / d);
    rem = units - sec * d;
    if (rem < 0) {
      sec -= 1;
      rem += d;
    } else if (rem >= d) {
      sec += 1;
      rem -= d;
    }
  } else if (res.big === null) {
    // Long division by 16-bit digits; every intermediate stays below 2^53.
    const d1 = Math.floor((high >>> 16) / d);
    let r = (high >>> 16) - d1 * d;
    let cur = r * 65536 + (high & 0xffff);
    const d2 = Math.floor(cur / d);
    r = cur - d2 * d;
    cur = r * 65536 + (low >>> 16);
    const d3 = Math.floor(cur / d);
    r = cur - d3 * d;
    cur = r * 65536 + (low & 0xffff);
    const d4 = Math.floor(cur / d);
    r = cur - d4 * d;
    const q = ((d1 * 65536 + d2) * 65536 + d3) * 65536 + d4;
    sec = q;
    rem = r;
  } else {
    const units = (BigInt(high) << 32n) | BigInt(low);
    sec = Number(units / res.big);
    rem = Number(units % res.big);
  }
  tsOut.sec = sec;
  if (res.nsMul !== 0) tsOut.nsec = rem * res.nsMul;
  else if (res.nsDiv !== 0) tsOut.nsec = Math.floor(rem / res.nsDiv);
  else tsOut.nsec = Math.min(999_999_999, Math.floor((rem * 1e9) / d)); // 2^-n units
}
