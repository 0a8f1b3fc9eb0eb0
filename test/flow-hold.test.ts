/**
 * The flow verdict (src/pipeline/flow-hold.ts): a flow keeps its opening's score. flowKey on the
 * packets of a real capture in the repository, the rule on scores, and the rule as the pending
 * ring applies it (what replay and the daemon hand to their outputs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { RawPacket } from '../src/capture/raw-packet';
import { FLOW_HOLD, FlowHold, NO_FLOW, flowKey } from '../src/pipeline/flow-hold';
import { PendingPackets } from '../src/pipeline/pending-packets';
import { readAllPackets } from '../src/pipeline/read-packets';
import { PACKAGE_ROOT } from '../src/paths';
import { ethernet, ipv4, tcp } from './helpers/frame-builder';

test('flowKey: one key per bidirectional 5-tuple of a real capture, none for packets without ports', async () => {
  const { packets } = await readAllPackets([path.join(PACKAGE_ROOT, 'samples', 'lan-dnsshell.pcap')]);
  const byTuple = new Map<string, number>();
  let withPorts = 0, without = 0;
  for (const p of packets) {
    const k = flowKey(p);
    if (p.srcPort < 0 || p.srcIp === null) {
      assert.equal(k, NO_FLOW, `frame ${p.frame} (${p.l3}, proto ${p.ipProto}) has no ports but a flow key`);
      without++;
      continue;
    }
    withPorts++;
    const ends = [`${p.srcIp}/${p.srcPort}`, `${p.dstIp}/${p.dstPort}`].sort();
    const tuple = `${p.ipProto} ${ends.join(' ')}`;
    const seen = byTuple.get(tuple);
    if (seen === undefined) byTuple.set(tuple, k);
    else assert.equal(k, seen, `frame ${p.frame}: both directions of ${tuple} give one key`);
  }
  assert.ok(withPorts > 100 && without > 0, `${withPorts} packets with ports, ${without} without`);
  const keys = [...byTuple.values()];
  assert.equal(new Set(keys).size, keys.length, `${byTuple.size} 5-tuples, ${new Set(keys).size} keys: no two share one`);
  assert.ok(keys.every((k) => Number.isSafeInteger(k) && k >= 0));
});

test('FlowHold: the opening score holds for the rest of the flow, a late high score does not, idleness ends it', () => {
  const h = new FlowHold();
  const A = 1001, B = 2002;
  const K = FLOW_HOLD.openingPackets;
  // Flow A opens with a high second packet: every later packet holds 0.95 and names frame 2.
  assert.equal(h.apply(A, 0, 1, 0.1, 1), 0.1);
  assert.equal(h.heldFrame, -1);
  assert.equal(h.apply(A, 0.1, 2, 0.95, 7), 0.95);
  assert.equal(h.heldFrame, -1, 'the packet that earned the score holds its own');
  for (let i = 3; i <= 40; i++) {
    assert.equal(h.apply(A, i * 0.1, i, 0.02, i), 0.95, `frame ${i}`);
    assert.equal(h.heldFrame, 2);
    assert.equal(h.heldAttention, 7, 'the attention frame of the packet whose score is held');
  }
  // A packet of its own above the held score keeps its own.
  assert.equal(h.apply(A, 4.1, 41, 0.99, 41), 0.99);
  assert.equal(h.heldFrame, -1);
  // Past its maxPackets-th packet a flow that is never idle holds nothing more.
  for (let i = 42; i <= FLOW_HOLD.maxPackets; i++) assert.equal(h.apply(A, i * 0.1, i, 0.02, -1), 0.95, `frame ${i}`);
  assert.equal(h.apply(A, 13, FLOW_HOLD.maxPackets + 1, 0.02, -1), 0.02, 'the packet after maxPackets keeps its own score');
  assert.equal(h.heldFrame, -1);
  // Flow B turns odd only after its opening: nothing is held.
  for (let i = 1; i <= K; i++) h.apply(B, i, 100 + i, 0.01, -1);
  assert.equal(h.apply(B, K + 1, 200, 0.97, -1), 0.97);
  assert.equal(h.apply(B, K + 2, 201, 0.03, -1), 0.03, 'a score after the opening is not held');
  // Flow A idle longer than the limit opens again: the old verdict is gone.
  const later = 13 + FLOW_HOLD.idleSeconds + 1;
  assert.equal(h.apply(A, later, 300, 0.04, -1), 0.04);
  assert.equal(h.heldFrame, -1);
  // No flow: always its own score.
  assert.equal(h.apply(NO_FLOW, 0, 400, 0.3, -1), 0.3);
  assert.equal(h.size, 2);
});

/** Real TCP frames of one connection 10.0.0.1:40000 <-> 10.0.0.2:22, alternating direction. */
function sshFrame(frame: number): RawPacket {
  const out = frame % 2 === 1;
  const data = ethernet({ type: 0x0800, payload: ipv4({ src: out ? '10.0.0.1' : '10.0.0.2', dst: out ? '10.0.0.2' : '10.0.0.1', proto: 6,
    payload: tcp({ sport: out ? 40000 : 22, dport: out ? 22 : 40000, flags: 0x18, payload: new Uint8Array(48) }) }) });
  return { frame, tsSec: frame, tsNsec: 0, tsDigits: 6, capLen: data.length, origLen: data.length, linkType: 1, interfaceId: 0, data, source: 't' };
}

test('the pending ring hands out held scores: a connection flagged at its opening is flagged throughout', async () => {
  const pend = new PendingPackets(1);
  const { decode } = await import('../src/capture/decode');
  for (let f = 1; f <= 20; f++) {
    const raw = sshFrame(f);
    pend.push(raw, f, flowKey(decode(raw)));
  }
  // One window over frames 1..20: the opening (frame 1) scores 0.99, the rest 0.01; attention on frame 1.
  const W = 20;
  const scores = new Float32Array(W).fill(0.01);
  scores[0] = 0.99;
  const attention = new Float32Array(W).fill(0);
  attention[0] = 1;
  pend.applyWindow(0, 19, scores, attention, 0, W);
  const got: Array<[number, number, number]> = [];
  pend.takeFinal(Infinity, (f) => {
    for (let i = 0; i < f.length; i++) got.push([f.score(i), f.heldFrom(i), f.attentionFrame(i)]);
  });
  assert.equal(got.length, 20);
  assert.deepEqual(got[0], [Math.fround(0.99), -1, 1]);
  for (let i = 1; i < 20; i++) assert.deepEqual(got[i], [Math.fround(0.99), 1, 1], `frame ${i + 1} holds frame 1's score`);
});
