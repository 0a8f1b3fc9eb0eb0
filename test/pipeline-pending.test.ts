import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingPackets } from '../src/pipeline/pending-packets';
import { ScoreTrace } from '../src/pipeline/score-trace';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';

const pkt = (frame: number) => ({ frame, ts: frame }) as unknown as DecodedPacket;

test('a packet score is the max over the windows containing it, with that window attention peak', () => {
  const W = 4;
  const pend = new PendingPackets();
  for (let f = 1; f <= 6; f++) pend.push(pkt(f), new Float32Array(1));
  // window 1..4 peaks on its 2nd row (frame 2); window 3..6 peaks on its last row (frame 6)
  pend.applyWindow(1, 4, 0.2, Float32Array.from([0.1, 0.6, 0.2, 0.1]), 0, W);
  pend.applyWindow(3, 6, 0.9, Float32Array.from([0.1, 0.1, 0.1, 0.7]), 0, W);
  const out = pend.takeFinal(Infinity);
  assert.deepEqual(out.map((p) => p.score), [0.2, 0.2, 0.9, 0.9, 0.9, 0.9]);
  assert.deepEqual(out.map((p) => p.attentionFrame), [2, 2, 6, 6, 6, 6]);
});

test('a padded window maps attention rows past the padding to frames', () => {
  const pend = new PendingPackets();
  pend.push(pkt(1), new Float32Array(1));
  pend.push(pkt(2), new Float32Array(1));
  // W=4 but only 2 real packets: rows 0,1 are padding (their weights must be ignored)
  pend.applyWindow(1, 2, 0.5, Float32Array.from([0.9, 0.9, 0.3, 0.4]), 0, 4);
  const out = pend.takeFinal(Infinity);
  assert.deepEqual(out.map((p) => p.attentionFrame), [2, 2]);
});

test('takeFinal releases packets in frame order and only before the given frame', () => {
  const pend = new PendingPackets();
  for (let f = 10; f < 20010; f++) pend.push(pkt(f), new Float32Array(1));
  const a = pend.takeFinal(15000); // also compacts the FIFO
  assert.equal(a.length, 14990);
  assert.equal(a[0].packet.frame, 10);
  assert.equal(a[a.length - 1].packet.frame, 14999);
  pend.applyWindow(16000, 16003, 0.7, new Float32Array(4), 0, 4);
  const b = pend.takeFinal(Infinity);
  assert.equal(b.length, 5010);
  assert.equal(b.find((p) => p.packet.frame === 16001)?.score, 0.7);
  assert.equal(b.find((p) => p.packet.frame === 15999)?.score, -1);
  assert.equal(pend.size, 0);
});

test('ScoreTrace keeps a bounded number of points and never loses the highest spike', () => {
  const trace = new ScoreTrace(100);
  for (let i = 0; i < 100_000; i++) trace.add(i, i === 77_777 ? 0.99 : 0.01);
  const pts = trace.result();
  assert.ok(pts.length <= 101, `${pts.length} points`);
  assert.equal(Math.max(...pts.map((p) => p.score)), 0.99);
  assert.ok(pts.some((p) => p.ts === 77_777));
});
