import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RawPacket } from '../src/capture/raw-packet';
import { Scaler } from '../src/features/scaler';
import { FEATURE_COUNT } from '../src/features/schema';
import type { ScoreResult, WindowScorer } from '../src/model/scorer-types';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { cutWindowFromRows } from '../src/features/window-cut';
import { ScoringPipeline } from '../src/pipeline/scoring-pipeline';
import { ethernet, ipv4, udp } from './helpers/frame-builder';

/**
 * Overload shedding in the scoring pipeline (the daemon's overload.shed): scoring one due window
 * in `factor` leaves packets in no scored window once factor × stride exceeds the window; each
 * then gets the median score of the nearer scored window, never none. Without shedding nothing
 * changes (replay's byte identity).
 */
const W = 8;
const S = 4;
const N = 400;
const scaler = Scaler.fromJSON(JSON.parse(readFileSync(path.join(DEFAULT_MODEL_DIR, 'scaler.json'), 'utf8')));

function raw(frame: number): RawPacket {
  const data = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ sport: 1000 + (frame % 50), dport: 53, payload: new Uint8Array(4) }) }) });
  return { frame, tsSec: 1_700_000_000 + frame / 100, tsNsec: 0, tsDigits: 6, capLen: data.length, origLen: data.length, linkType: 1, interfaceId: 0, data, source: 't' };
}

/**
 * The k-th window it scores (from 0): every row 0.1 + k/1000 but the last, 0.95. So a window's
 * median is 0.1 + k/1000 and its maximum 0.95: which one a packet got says where it came from.
 */
function fakeScorer(): WindowScorer & { windows: number; largestCall: number } {
  const s = {
    window: W, features: FEATURE_COUNT, windows: 0, largestCall: 0,
    scoreRows(_rows: Float32Array, _ends: Int32Array, n: number): Promise<ScoreResult> {
      s.largestCall = Math.max(s.largestCall, n);
      const scores = new Float32Array(n * W);
      for (let i = 0; i < n; i++) {
        scores.fill(0.1 + s.windows / 1000, i * W, (i + 1) * W);
        scores[(i + 1) * W - 1] = 0.95;
        s.windows++;
      }
      return Promise.resolve({ scores, attention: new Float32Array(n * W).fill(1 / W) });
    },
    dispose: () => undefined,
  };
  return s;
}

async function run(o: { factor: number; fillGaps: boolean }): Promise<{ scores: Map<number, number>; p: ScoringPipeline; largestCall: number }> {
  const scores = new Map<number, number>();
  const scorer = fakeScorer();
  const p = new ScoringPipeline({
    scaler, scorer, window: W, stride: S, features: FEATURE_COUNT, batchWindows: 4, verdicts: false, fillGaps: o.fillGaps,
    onFinal: (f) => { for (let i = 0; i < f.length; i++) scores.set(f.frame(i), f.score(i)); },
  });
  p.setShedFactor(o.factor);
  const packets = Array.from({ length: N }, (_, i) => raw(i + 1));
  for (let i = 0; i < N; i += 37) await p.push(packets.slice(i, i + 37));
  await p.finish();
  return { scores, p, largestCall: scorer.largestCall };
}

const round = (x: number | undefined) => Math.round((x ?? NaN) * 1000) / 1000;

test('shedding scores one window in `factor`; a packet in no scored window holds the nearer scored window\'s median', async () => {
  const full = await run({ factor: 1, fillGaps: false });
  // Windows end at 8, 12, …, 400: 99, the last at the last packet (no tail window needed).
  assert.equal(full.p.windowsScored, 99);
  assert.equal(full.p.windowsShed, 0);
  assert.equal(full.largestCall, 4, 'batches of 4 windows');

  // Nothing shed, filling on (the daemon): the very same scores.
  const same = await run({ factor: 1, fillGaps: true });
  assert.deepEqual([...same.scores], [...full.scores]);
  assert.equal(same.p.packetsFilled, 0);

  // One in 8: stride 32 > W 8. The 8th, 16th, … due windows are scored (ends 36, 68, …, 388), then a tail window ends at 400.
  const shed = await run({ factor: 8, fillGaps: true });
  assert.equal(shed.p.windowsScored, 13);
  assert.equal(shed.p.windowsShed, 99 - 12, 'every due window not scored is counted');
  assert.equal(shed.p.packetsFilled, N - 13 * W, 'packets outside the 13 scored windows');
  assert.equal(shed.scores.size, N);
  // A batch spans as many packets as without shedding (4 windows 4 apart): 1 window 32 apart.
  assert.equal(shed.largestCall, 1);
  for (const [frame, score] of shed.scores) assert.ok(score >= 0, `frame ${frame} has a score`);
  // In a scored window: the packet's own score (29..36 is window 0, its last row 0.95).
  assert.equal(round(shed.scores.get(30)), 0.1);
  assert.equal(round(shed.scores.get(36)), 0.95);
  // Before the first scored window: the only neighbour, window 0 (29..36); its median, not its 0.95.
  assert.equal(round(shed.scores.get(1)), 0.1);
  // Between window 0 (29..36) and window 1 (61..68): frame 40 is nearer the first, 50 the second.
  assert.equal(round(shed.scores.get(40)), 0.1);
  assert.equal(round(shed.scores.get(50)), 0.101);
  // Between window 11 (381..388) and the tail window 12 (393..400).
  assert.equal(round(shed.scores.get(389)), 0.111);
  assert.equal(round(shed.scores.get(392)), 0.112);

  // The same shedding without filling: those packets have no score at all (-1), which is what filling replaces.
  const blind = await run({ factor: 8, fillGaps: false });
  assert.equal([...blind.scores.values()].filter((s) => s < 0).length, N - 13 * W);
  assert.equal(blind.p.packetsFilled, 0);
});

test('back to factor 1 after shedding: every due window is scored again, and the packets between are filled', async () => {
  const scores = new Map<number, number>();
  const p = new ScoringPipeline({
    scaler, scorer: fakeScorer(), window: W, stride: S, features: FEATURE_COUNT, batchWindows: 2, verdicts: false, fillGaps: true,
    onFinal: (f) => { for (let i = 0; i < f.length; i++) scores.set(f.frame(i), f.score(i)); },
  });
  const packets = Array.from({ length: 200 }, (_, i) => raw(i + 1));
  p.setShedFactor(64);
  await p.push(packets.slice(0, 100)); // 24 due windows (ends 8..100), none scored at 1 in 64
  p.setShedFactor(1);
  await p.push(packets.slice(100)); // ends 104..200: 25 windows, all scored
  await p.finish();
  assert.equal(p.windowsShed, 24);
  assert.equal(p.windowsScored, 25);
  assert.equal(p.packetsFilled, 96, 'frames 1..96: before the first scored window (97..104)');
  assert.equal(round(scores.get(1)), 0.1);
  assert.equal(scores.size, 200);
});

test('a shed factor lowered mid-batch: the batch\'s rows fill before its windows, it is scored as it is, and every window holds the right rows', async () => {
  // Each window as the scorer cut it, in order; a batch of one window never fills its rows first.
  const cutAll = async (batchWindows: number): Promise<{ cut: Float32Array[]; p: ScoringPipeline; scores: Map<number, number> }> => {
    const cut: Float32Array[] = [];
    const scorer = fakeScorer();
    const recording: WindowScorer = {
      ...scorer,
      scoreRows(rows, ends, n) {
        for (let i = 0; i < n; i++) {
          const w = new Float32Array(W * FEATURE_COUNT);
          cutWindowFromRows(rows, FEATURE_COUNT, ends[i], W, w, 0);
          cut.push(w);
        }
        return scorer.scoreRows(rows, ends, n);
      },
    };
    const scores = new Map<number, number>();
    const p = new ScoringPipeline({
      scaler, scorer: recording, window: W, stride: S, features: FEATURE_COUNT, batchWindows, verdicts: false, fillGaps: true,
      onFinal: (f) => { for (let i = 0; i < f.length; i++) scores.set(f.frame(i), f.score(i)); },
    });
    const packets = Array.from({ length: 120 }, (_, i) => raw(i + 1));
    p.setShedFactor(2);
    await p.push(packets.slice(0, 28)); // windows end 8 (shed), 12, 16 (shed), 20, 24 (shed), 28
    p.setShedFactor(1); // 4 a batch from now on: the batch holding 28 fills its 24 rows at packet 36
    await p.push(packets.slice(28));
    await p.finish();
    return { cut, p, scores };
  };
  const batched = await cutAll(4);
  const single = await cutAll(1);
  assert.equal(batched.p.windowsShed, 3);
  assert.equal(batched.p.windowsScored, 29 - 3);
  assert.equal(batched.cut.length, single.cut.length);
  batched.cut.forEach((w, k) => assert.deepEqual(w, single.cut[k], `window ${k}`));
  assert.equal(batched.scores.size, 120);
  for (const [frame, score] of batched.scores) assert.ok(score >= 0, `frame ${frame} has a score`);
});
