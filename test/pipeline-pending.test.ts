import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawPacket } from '../src/capture/raw-packet';
import { FLOW_HOLD } from '../src/pipeline/flow-hold';
import { PendingPackets, type FinalPackets } from '../src/pipeline/pending-packets';
import { ScoreTrace } from '../src/pipeline/score-trace';
import { ethernet, ipv4, udp } from './helpers/frame-builder';

/** A real UDP frame from 10.0.0.1 with the frame number as its source port. */
function raw(frame: number): RawPacket {
  const data = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ sport: frame & 0xffff, dport: 53, payload: new Uint8Array(4) }) }) });
  return { frame, tsSec: frame, tsNsec: 0, tsDigits: 6, capLen: data.length, origLen: data.length, linkType: 1, interfaceId: 0, data, source: 't' };
}

/** Push frames [from, to); returns their sequence numbers. */
function fill(pend: PendingPackets, from: number, to: number): number[] {
  const seqs: number[] = [];
  for (let f = from; f < to; f++) seqs.push(pend.push(raw(f), f));
  return seqs;
}

interface Taken { frame: number; ts: number; score: number; att: number; feature: number | null; sport: number }

function collect(pend: PendingPackets, before: number, decode = false): Taken[] {
  const out: Taken[] = [];
  pend.takeFinal(before, (f: FinalPackets) => {
    for (let i = 0; i < f.length; i++) {
      out.push({ frame: f.frame(i), ts: f.ts(i), score: f.score(i), att: f.attentionFrame(i), feature: f.scaledRow(i)?.[0] ?? null, sport: decode ? f.decoded(i).srcPort : -1 });
    }
  });
  return out;
}

/** One probability for every row of a window. */
const same = (w: number, score: number): Float32Array => new Float32Array(w).fill(score);

test('a packet score is the max of its OWN probability over the windows containing it', () => {
  const W = 4;
  const pend = new PendingPackets(1);
  const s = fill(pend, 1, 7);
  const att = Float32Array.from([0.25, 0.25, 0.25, 0.25]);
  // Window 1..4 scores frame 3 high, the others low; window 3..6 scores frame 3 low and 6 high.
  pend.applyWindow(s[0], s[3], Float32Array.from([0.1, 0.2, 0.9, 0.3]), att, 0, W);
  pend.applyWindow(s[2], s[5], Float32Array.from([0.4, 0.5, 0.1, 0.8]), att, 0, W);
  const out = collect(pend, Infinity);
  assert.deepEqual(out.map((p) => Number(p.score.toFixed(3))), [0.1, 0.2, 0.9, 0.5, 0.1, 0.8]);
  // Equal attention everywhere: the packet the model scored highest is named.
  assert.deepEqual(out.map((p) => p.att), [3, 3, 3, 6, 6, 6]);
});

test('a packet score is the max over the windows containing it, with that window attention peak'
, () => {
  const W = 4;
  const pend = new PendingPackets(1);
  const s = fill(pend, 1, 7);
  // window 1..4 peaks on its 2nd row (frame 2); window 3..6 peaks on its last row (frame 6)
  pend.applyWindow(s[0], s[3], same(4, 0.2), Float32Array.from([0.1, 0.6, 0.2, 0.1]), 0, W);
  pend.applyWindow(s[2], s[5], same(4, 0.9), Float32Array.from([0.1, 0.1, 0.1, 0.7]), 0, W);
  const out = collect(pend, Infinity, true);
  assert.deepEqual(out.map((p) => Number(p.score.toFixed(3))), [0.2, 0.2, 0.9, 0.9, 0.9, 0.9]);
  assert.deepEqual(out.map((p) => p.att), [2, 2, 6, 6, 6, 6]);
  assert.deepEqual(out.map((p) => p.sport), [1, 2, 3, 4, 5, 6], 'decoded() re-decodes each packet from its own bytes');
});

test('a padded window maps attention rows past the padding to frames', () => {
  const pend = new PendingPackets(1);
  const s = fill(pend, 1, 3);
  // W=4 but only 2 real packets: rows 0,1 are padding (their weights must be ignored)
  pend.applyWindow(s[0], s[1], same(4, 0.5), Float32Array.from([0.9, 0.9, 0.3, 0.4]), 0, 4);
  assert.deepEqual(collect(pend, Infinity).map((p) => p.att), [2, 2]);
});

test('within an attention step shared by several packets, the most deviating packet is named', () => {
  const pend = new PendingPackets(2);
  const s: number[] = [];
  // Deviations (sum of |z|) of rows 0..3: rows 0-1 deviate most but their step weighs less.
  const deviation = [10, 10, 1, 5];
  for (let f = 1; f <= 4; f++) {
    s.push(pend.push(raw(f), f));
    pend.setDeviation(s[f - 1], deviation[f - 1]);
  }
  // Pool 2: rows (0,1) and (2,3) share their weights; step 2 weighs most.
  const attention = Float32Array.from([0.1, 0.1, 0.4, 0.4]);
  pend.applyWindow(s[0], s[3], same(4, 0.9), attention, 0, 4);
  assert.deepEqual(collect(pend, Infinity).map((p) => p.att), [4, 4, 4, 4], 'row 3 (deviation 5) beats row 2 (1)');
  // Without deviations (all 0), or with NaN weights, the first row of the step is named.
  for (let f = 5; f <= 8; f++) s.push(pend.push(raw(f), f));
  pend.applyWindow(s[4], s[7], same(4, 0.9), attention, 0, 4);
  assert.deepEqual(collect(pend, Infinity).map((p) => p.att), [7, 7, 7, 7]);
  for (let f = 9; f <= 12; f++) {
    s.push(pend.push(raw(f), f));
    pend.setDeviation(s[f - 1], f);
  }
  pend.applyWindow(s[8], s[11], same(4, 0.9), new Float32Array(4).fill(NaN), 0, 4);
  assert.deepEqual(collect(pend, Infinity).map((p) => p.att), [9, 9, 9, 9]);
});

test('takeFinal releases packets in order, only before the given sequence, across ring growth', () => {
  const pend = new PendingPackets(1, 1024); // grows several times below
  const s = fill(pend, 10, 20010);
  const a = collect(pend, s[14990]);
  // One packet a second: the last lookBackSeconds of them wait for a later opening that may raise them (flow-hold.ts).
  const waiting = FLOW_HOLD.lookBackSeconds + 1;
  assert.equal(a.length, 14990 - waiting);
  assert.deepEqual([a[0].frame, a[0].ts, a[0].feature], [10, 10, null]);
  assert.equal(a[a.length - 1].frame, 14999 - waiting);
  fill(pend, 20010, 40010); // wraps the ring over released slots and grows again
  pend.applyWindow(s[15991], s[15994], same(4, 0.75), new Float32Array(4), 0, 4);
  const b = collect(pend, Infinity);
  assert.equal(b.length, 40010 - 15000 + waiting);
  assert.ok(b.every((p, i) => p.frame === 15000 - waiting + i), 'frames stay with their packets');
  assert.equal(b.find((p) => p.frame === 16001)?.score, 0.75);
  assert.equal(b.find((p) => p.frame === 15999)?.score, -1);
  assert.equal(pend.size, 0);
  assert.equal(collect(pend, Infinity).length, 0);
});

test('a flood waits for at most lookBackPackets later packets, whatever its capture time', () => {
  const pend = new PendingPackets(1, 1024);
  const n = FLOW_HOLD.lookBackPackets + 5000;
  for (let f = 1; f <= n; f++) pend.push(raw(f), 100); // one instant: no packet is 30 s older than another
  const a = collect(pend, n);
  assert.equal(a.length, n - FLOW_HOLD.lookBackPackets, 'all but the last lookBackPackets are handed on');
  assert.equal(pend.size, FLOW_HOLD.lookBackPackets);
  assert.equal(collect(pend, Infinity).length, FLOW_HOLD.lookBackPackets, 'the end of input hands on the rest');
});

test('ScoreTrace keeps a bounded number of points and never loses the highest spike', () => {
  const trace = new ScoreTrace(100);
  for (let i = 0; i < 100_000; i++) trace.add(i, i === 77_777 ? 0.99 : 0.01);
  const pts = trace.result();
  assert.ok(pts.length <= 101, `${pts.length} points`);
  assert.equal(Math.max(...pts.map((p) => p.score)), 0.99);
  assert.ok(pts.some((p) => p.ts === 77_777));
});

test('scaled rows are kept only from windows at or above the keep threshold, and stay with their packets', () => {
  const F = 2;
  const W = 4;
  const pend = new PendingPackets(F, 64); // small ring: grows below, and so does the row store
  const window = (first: number): Float32Array => {
    const w = new Float32Array(W * F);
    for (let r = 0; r < W; r++) w.set([first + r, -(first + r)], r * F); // row of frame f = [f, -f]
    return w;
  };
  const att = new Float32Array(W).fill(0.25);
  const seq: number[] = [];
  const rows = new Map<number, number[] | null>();
  for (let start = 1; start + W - 1 <= 4000; start += 2) {
    while (seq.length < start + W - 1) seq.push(pend.push(raw(seq.length + 1), seq.length + 1));
    // Windows of stride 2; every third one scores above the keep threshold 0.5.
    const score = ((start - 1) / 2) % 3 === 0 ? 0.9 : 0.1;
    pend.applyWindow(seq[start - 1], seq[start + W - 2], same(4, score), att, 0, W, window(start), 0, 0.5);
    pend.takeFinal(seq[start - 1], (f) => {
      for (let i = 0; i < f.length; i++) rows.set(f.frame(i), f.scaledRow(i) === null ? null : Array.from(f.scaledRow(i)!));
    });
  }
  pend.takeFinal(Infinity, (f) => {
    for (let i = 0; i < f.length; i++) rows.set(f.frame(i), f.scaledRow(i) === null ? null : Array.from(f.scaledRow(i)!));
  });
  let kept = 0;
  for (const [frame, row] of rows) {
    // Frame f is in the windows starting at f-3..f (odd starts); kept when one of them scored 0.9.
    const inKeptWindow = [frame - 3, frame - 2, frame - 1, frame].some((s) => s >= 1 && s % 2 === 1 && ((s - 1) / 2) % 3 === 0 && s + W - 1 <= 4000);
    if (inKeptWindow) {
      assert.deepEqual(row, [frame, -frame], `frame ${frame}`);
      kept++;
    } else {
      assert.equal(row, null, `frame ${frame} was only in windows below the threshold`);
    }
  }
  assert.ok(kept > 1000 && kept < rows.size, `${kept} of ${rows.size} rows kept`);
  assert.equal(pend.size, 0);
});
