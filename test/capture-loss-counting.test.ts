import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcapStatsAccumulator } from '../src/capture/pcap-stats';
import { LossWarning } from '../src/daemon/loss-warning';

test('pcap_stats totals keep counting across the 32-bit wrap of struct pcap_stat', () => {
  const acc = new PcapStatsAccumulator();
  acc.update({ ps_recv: 2 ** 32 - 10, ps_drop: 5, ps_ifdrop: 0 });
  const t = acc.update({ ps_recv: 20, ps_drop: 7, ps_ifdrop: 1 }); // ps_recv wrapped: +30
  assert.deepEqual(t, { received: 2 ** 32 + 20, dropped: 7, ifDropped: 1 });
  assert.deepEqual(acc.update({ ps_recv: 20, ps_drop: 7, ps_ifdrop: 1 }), t, 'an unchanged reading adds nothing');
});

test('loss warning: at once on the first loss, then at most once per interval with the sum, then one recovered notice', () => {
  const w = new LossWarning(60_000);
  assert.equal(w.observe(0, 0), null);
  assert.deepEqual(w.observe(5, 1000), { kind: 'losing', lost: 5, sinceMs: null });
  assert.equal(w.observe(9, 2000), null, 'rate-limited');
  assert.equal(w.observe(12, 30_000), null);
  assert.deepEqual(w.observe(12, 61_000), { kind: 'losing', lost: 7, sinceMs: 60_000 }, 'what was lost since the last notice');
  assert.equal(w.observe(12, 80_000), null, 'the last loss (at 30 s) is not yet a whole interval ago');
  assert.deepEqual(w.observe(12, 90_000), { kind: 'recovered', quietMs: 60_000 });
  assert.equal(w.observe(12, 500_000), null, 'recovered once');
  assert.deepEqual(w.observe(13, 500_100), { kind: 'losing', lost: 1, sinceMs: null }, 'a new loss warns at once again');
});
