/** pcapng timestamp split (double fast path, 16-bit long division, BigInt) against BigInt arithmetic. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitTimestamp, tsOut, tsResolution } from '../src/capture/pcapng-timestamp';
import { seededRandom } from './helpers/pcapng-builder';

function reference(units: bigint, tsresol: number): [number, number] {
  const pow2 = (tsresol & 0x80) !== 0;
  const exp = BigInt(tsresol & 0x7f);
  const d = pow2 ? 1n << exp : 10n ** exp;
  const rem = units % d;
  return [Number(units / d), Number((rem * 1_000_000_000n) / d)];
}

describe('pcapng timestamp resolution', () => {
  it('matches BigInt arithmetic for every path and many resolutions', () => {
    const rand = seededRandom(99);
    const resolutions = [0, 3, 6, 9, 12, 19, 0x80, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32, 0x80 | 40, 0x80 | 63];
    const edges = [0n, 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 64n) - 1n, 1_700_000_000_999_999_999n];
    for (const r of resolutions) {
      const res = tsResolution(r);
      assert.ok(res, `resolution ${r}`);
      const values = [...edges];
      for (let i = 0; i < 300; i++) {
        const hi = BigInt(Math.floor(rand() * 2 ** 32));
        values.push((hi >> BigInt(Math.floor(rand() * 32))) * 2n ** 32n + BigInt(Math.floor(rand() * 2 ** 32)));
      }
      for (const v of values) {
        splitTimestamp(Number(v >> 32n), Number(v & 0xffffffffn), res);
        const [sec, nsec] = reference(v, r);
        assert.equal(tsOut.sec, sec, `sec of ${v} at tsresol ${r}`);
        assert.ok(tsOut.nsec >= 0 && tsOut.nsec < 1e9);
        // Seconds beyond 2^53 cannot be exact in a double; sub-ns resolutions may round by 1 ns.
        if (sec < 2 ** 53) assert.ok(Math.abs(tsOut.nsec - nsec) <= (r === 0x80 + 63 || r === 0x80 + 40 ? 1 : 0), `ns of ${v} at ${r}: ${tsOut.nsec} vs ${nsec}`);
      }
    }
  });

  it('digits for printing: 6 up to µs, 9 finer; unusable resolutions rejected', () => {
    assert.equal(tsResolution(6)?.digits, 6);
    assert.equal(tsResolution(3)?.digits, 6);
    assert.equal(tsResolution(9)?.digits, 9);
    assert.equal(tsResolution(0x80 | 10)?.digits, 6);
    assert.equal(tsResolution(0x80 | 30)?.digits, 9);
    assert.equal(tsResolution(20), null);
    assert.equal(tsResolution(0x80 | 64), null);
  });
});
