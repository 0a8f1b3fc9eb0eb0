/**
 * FlowHold hands the neighbour rings and joined starts of flows it no longer tracks to the next
 * flows (flow-hold.ts, release): a reused one must judge exactly as a new one. The same packets,
 * given to a fresh FlowHold and to one whose free lists hold the rings of earlier flows (left
 * with their scores in them), must get the same scores and the same raise/lower calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowHold, NO_FLOW } from '../src/pipeline/flow-hold';

/** Deterministic scores in [0, 1): a few high ones, so verdicts hold, raise and lower. */
function scoreOf(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  const u = x - Math.floor(x);
  return u > 0.85 ? 0.9 + u / 10 : u / 2;
}

interface Run { scores: number[]; calls: string[] }

/** Flows 0..nFlows-1 of `base` (keys base+i), packets in turn; every third flow joined mid-stream (no service). */
function feed(hold: FlowHold, calls: string[], base: number, t0: number, nFlows: number, packetsPerFlow: number, id0: number): number[] {
  const out: number[] = [];
  let id = id0;
  for (let k = 0; k < packetsPerFlow; k++) {
    for (let f = 0; f < nFlows; f++) {
      const service = f % 3 === 0 ? NO_FLOW : base + 1_000_000 + (f % 7);
      const ts = t0 + k * 0.5 + f * 0.001;
      calls.push(`apply ${id}`);
      out.push(hold.apply(base + f, service, ts, id, scoreOf(id), id - 1, id));
      id++;
    }
  }
  return out;
}

function run(warmUp: boolean): Run {
  const calls: string[] = [];
  const hold = new FlowHold((id, score, frame, attention, kind) => calls.push(`raise ${id} ${score} ${frame} ${attention} ${kind}`), (id, score) => calls.push(`lower ${id} ${score}`));
  if (warmUp) {
    // Earlier flows (other keys and services), 10 packets each, then each opened again after
    // more than idleSeconds: their rings and starts go to the free lists with their scores in them.
    feed(hold, [], 5_000_000, 0, 300, 10, 10_000_000);
    feed(hold, [], 5_000_000, 100, 300, 1, 20_000_000);
    calls.length = 0; // what the warm-up raised and lowered is its own
  }
  const scores = feed(hold, calls, 1, 1000, 400, 12, 1);
  return { scores, calls };
}

test('a reused neighbour ring or joined start judges as a new one', () => {
  const fresh = run(false);
  const reused = run(true);
  assert.ok(fresh.calls.some((c) => c.startsWith('lower')), 'the neighbours lowered some packets');
  assert.ok(fresh.calls.some((c) => c.startsWith('raise')), 'a look-back raised some packets');
  assert.deepStrictEqual(reused.scores, fresh.scores);
  assert.deepStrictEqual(reused.calls, fresh.calls);
});
