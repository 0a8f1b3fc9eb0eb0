import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_CONTEXT_OPTIONS } from '../src/features/context-options';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { FEATURE_COUNT } from '../src/features/schema';
import { makeUdp } from './helpers/decoded-factory';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

test('context tables stay bounded under a scan of 1,000,000 distinct source hosts', () => {
  const fx = new FeatureExtractor();
  const v = new Float32Array(FEATURE_COUNT);
  const p = makeUdp('0.0.0.0', 40000, '10.0.0.2', 53, 40, 1_700_000_000);
  const caps = DEFAULT_CONTEXT_OPTIONS;
  let atWarm = 0;
  const N = 1_000_000;
  for (let i = 0; i < N; i++) {
    // One packet object reused: only the fields that vary change (a scan of spoofed sources).
    p.srcIp = `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    p.srcPort = 1024 + (i % 60000);
    p.ts = 1_700_000_000 + i * 1e-5;
    fx.extract(p, v, 0);
    if (i === 400_000) atWarm = heapMb(); // all tables have reached their caps by now
    if ((i & 0xffff) === 0) {
      const s = fx.stats();
      assert.ok(s.hosts <= caps.maxHosts && s.channels <= caps.maxChannels && s.sockets <= caps.maxSockets, JSON.stringify(s));
    }
  }
  const s = fx.stats();
  assert.ok(s.hosts <= caps.maxHosts, `hosts ${s.hosts}`);
  assert.ok(s.channels <= caps.maxChannels, `channels ${s.channels}`);
  assert.ok(s.sockets <= caps.maxSockets, `sockets ${s.sockets}`);
  assert.ok(s.evictions >= 3 * N - caps.maxHosts - caps.maxChannels - caps.maxSockets, `evictions ${s.evictions}`);
  const atEnd = heapMb();
  assert.ok(atEnd - atWarm < 64, `heap grew ${(atEnd - atWarm).toFixed(1)} MB after the tables were full (${atWarm.toFixed(0)} → ${atEnd.toFixed(0)} MB)`);
  assert.ok(atEnd < 600, `heap ${atEnd.toFixed(0)} MB`);
  for (const x of v) assert.ok(Number.isFinite(x));
});

test('smaller caps from ContextOptions are honoured', () => {
  const fx = new FeatureExtractor({ maxHosts: 1000, maxChannels: 500, maxSockets: 300 });
  const v = new Float32Array(FEATURE_COUNT);
  for (let i = 0; i < 20_000; i++) fx.extract(makeUdp(`10.1.${i >> 8 & 255}.${i & 255}`, 1000 + (i % 7), '10.0.0.2', 53, 40, 1_700_000_000 + i * 1e-3), v, 0);
  const s = fx.stats();
  assert.ok(s.hosts <= 1000 && s.channels <= 500 && s.sockets <= 300, JSON.stringify(s));
  assert.ok(s.hosts >= 500, 'the table is actually used');
});
