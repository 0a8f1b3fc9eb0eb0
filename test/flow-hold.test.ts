/**
 * The flow verdict (src/pipeline/flow-hold.ts): a flow keeps its opening's score. flowKey on the
 * packets of a real capture in the repository, the rule on scores, and the rule as the pending
 * ring applies it (what replay and the daemon hand to their outputs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { RawPacket } from '../src/capture/raw-packet';
import { FLOW_HOLD, FlowHold, NO_FLOW, flowKey, serviceKey } from '../src/pipeline/flow-hold';
import { PendingPackets, type FinalPackets } from '../src/pipeline/pending-packets';
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

test('flowKey: a client without an address yet (source 0.0.0.0) is keyed by its MAC, each its own flow', async () => {
  const { packets } = await readAllPackets([path.join(PACKAGE_ROOT, 'samples', 'dhcp-starvation.pcap')]);
  const fromNobody = packets.filter((p) => p.srcIp === '0.0.0.0');
  const macs = new Set(fromNobody.map((p) => p.srcMac));
  const keys = new Set(fromNobody.map((p) => flowKey(p)));
  assert.ok(macs.size > 200, `${macs.size} client MACs`);
  assert.equal(keys.size, macs.size, 'one flow per client MAC');
  // An ordinary client's DISCOVER and REQUEST (same MAC) are one flow; so are its service's.
  const first = fromNobody.filter((p) => p.srcMac === fromNobody[0].srcMac);
  assert.ok(first.length >= 2, 'the first client sends DISCOVER and REQUEST');
  assert.equal(new Set(first.map((p) => flowKey(p))).size, 1);
  assert.equal(new Set(first.map((p) => serviceKey(p))).size, 1);
  assert.notEqual(serviceKey(fromNobody[0]), serviceKey(fromNobody.find((p) => p.srcMac !== fromNobody[0].srcMac)!));
});

test('serviceKey: one per client, server and server port, whatever the client port; none for TCP without SYN', async () => {
  const { packets } = await readAllPackets([path.join(PACKAGE_ROOT, 'samples', 'lan-dnsshell.pcap')]);
  const byService = new Map<string, Set<number>>();
  let joined = 0;
  for (const p of packets) {
    if (p.srcPort < 0 || p.srcIp === null) { assert.equal(serviceKey(p), NO_FLOW); continue; }
    if (p.ipProto === 6 && (p.tcpFlags & 2) === 0) {
      assert.equal(serviceKey(p), NO_FLOW, `frame ${p.frame}: a TCP packet without SYN opens no service`);
      joined++;
      continue;
    }
    const name = `${p.ipProto} ${p.srcIp} ${p.dstIp}/${p.dstPort}`;
    if (!byService.has(name)) byService.set(name, new Set());
    byService.get(name)!.add(serviceKey(p));
  }
  for (const [name, keys] of byService) assert.equal(keys.size, 1, `${name}: ${keys.size} keys`);
  const all = [...byService.values()].map((k) => [...k][0]);
  assert.equal(new Set(all).size, all.length, 'no two services share a key');
  assert.ok(all.length > 10 && joined > 100, `${all.length} services, ${joined} TCP packets without SYN`);
});

test('FlowHold: the opening score holds for the rest of the flow, a late high score does not, idleness ends it', () => {
  const h = new FlowHold(null, null, 1);
  const A = 1001, B = 2002, SA = 11, SB = 22; // flows and their services
  const K = FLOW_HOLD.openingPackets;
  // Flow A opens with a high second packet: every later packet holds 0.95 and names frame 2.
  assert.equal(h.apply(A, SA, 0, 1, 0.1, 1), 0.1);
  assert.equal(h.heldFrame, -1);
  assert.equal(h.apply(A, SA, 0.1, 2, 0.95, 7), 0.95);
  assert.equal(h.heldFrame, -1, 'the packet that earned the score holds its own');
  for (let i = 3; i <= 40; i++) {
    assert.equal(h.apply(A, SA, i * 0.1, i, 0.02, i), 0.95, `frame ${i}`);
    assert.equal(h.heldFrame, 2);
    assert.equal(h.heldAttention, 7, 'the attention frame of the packet whose score is held');
  }
  // A packet of its own above the held score keeps its own.
  assert.equal(h.apply(A, SA, 4.1, 41, 0.99, 41), 0.99);
  assert.equal(h.heldFrame, -1);
  // Past its maxPackets-th packet a flow that is never idle holds nothing more.
  for (let i = 42; i <= FLOW_HOLD.maxPackets; i++) assert.equal(h.apply(A, SA, i * 0.1, i, 0.02, -1), 0.95, `frame ${i}`);
  assert.equal(h.apply(A, SA, 13, FLOW_HOLD.maxPackets + 1, 0.02, -1), 0.02, 'the packet after maxPackets keeps its own score');
  assert.equal(h.heldFrame, -1);
  // Flow B turns odd only after its opening: nothing is held.
  for (let i = 1; i <= K; i++) h.apply(B, SB, i, 100 + i, 0.01, -1);
  assert.equal(h.apply(B, SB, K + 1, 200, 0.97, -1), 0.97);
  assert.equal(h.apply(B, SB, K + 2, 201, 0.03, -1), 0.03, 'a score after the opening is not held');
  // Flow A idle longer than the limit opens again: the old verdict is gone.
  const later = 13 + FLOW_HOLD.idleSeconds + 1;
  assert.equal(h.apply(A, SA, later, 300, 0.04, -1), 0.04);
  assert.equal(h.heldFrame, -1);
  // No flow: always its own score.
  assert.equal(h.apply(NO_FLOW, NO_FLOW, 0, 400, 0.3, -1), 0.3);
  assert.equal(h.size, 2);
});

test('FlowHold: later flows of a flagged service hold its verdict for serviceSeconds, then earn their own', () => {
  const h = new FlowHold(null, null, 1);
  const S = 77; // one client, one server port; each connection is a new flow
  const flow = (n: number) => 5000 + n;
  // Connection 1 opens at t=0 with a flagged SYN.
  assert.equal(h.apply(flow(1), S, 0, 1, 0.98, 1), 0.98);
  for (let k = 1; k < 5; k++) h.apply(flow(1), S, k * 0.2, 1 + k, 0.01, -1);
  // Connection 2, 6 s later, scores low of its own: it holds the service's verdict, naming frame 1.
  assert.equal(h.apply(flow(2), S, 6, 10, 0.02, -1), 0.98);
  assert.equal(h.heldKind, 'service');
  assert.equal(h.heldFrame, 1);
  // Connections keep coming every 6 s (the service never idles); after serviceSeconds the verdict
  // earned at t=0 gives way to the openings of the last serviceSeconds, which score low.
  let t = 6, frame = 10, n = 2;
  while (t < FLOW_HOLD.serviceSeconds + 6) {
    t += 6; frame += 10; n++;
    const got = h.apply(flow(n), S, t, frame, 0.02, -1);
    if (t <= FLOW_HOLD.serviceSeconds) assert.equal(got, 0.98, `connection at ${t} s`);
    else assert.equal(got, 0.02, `connection at ${t} s: the t=0 verdict is older than ${FLOW_HOLD.serviceSeconds} s`);
  }
  // Another service of the same client is not touched.
  assert.equal(h.apply(9999, 78, t, frame + 1, 0.03, -1), 0.03);
});

test('FlowHold corroboration (the default): one odd opening packet holds nothing; a second, in its flow or another flow of the service, holds the second-best score', () => {
  assert.equal(FLOW_HOLD.corroboration, 2);
  const h = new FlowHold();
  const S = 77;
  const flow = (n: number) => 5000 + n;
  // Connection 1: one odd packet (the SYN) in a calm opening. Nothing after it holds its score.
  assert.equal(h.apply(flow(1), S, 0, 1, 0.98, -1), 0.98);
  for (let k = 1; k < 5; k++) assert.equal(h.apply(flow(1), S, k * 0.2, 1 + k, 0.01, -1), 0.01, `frame ${1 + k}`);
  // Connection 2, 6 s later, opens odd too: two odd openings of one service agree. Its later
  // packets and the next connection hold the lower of the two (0.95), naming the frame that earned it.
  assert.equal(h.apply(flow(2), S, 6, 10, 0.95, -1), 0.95);
  assert.equal(h.apply(flow(2), S, 6.2, 11, 0.01, -1), 0.95);
  assert.equal(h.heldFrame, 10);
  assert.equal(h.apply(flow(3), S, 12, 20, 0.02, -1), 0.95);
  assert.equal(h.heldKind, 'service');
  assert.equal(h.heldFrame, 10);
  // Within one connection: two odd opening packets hold the rest of it at the second's score.
  const g = new FlowHold();
  assert.equal(g.apply(6001, 88, 0, 1, 0.99, -1), 0.99);
  assert.equal(g.apply(6001, 88, 0.1, 2, 0.97, -1), 0.97);
  assert.equal(g.apply(6001, 88, 0.2, 3, 0.01, -1), 0.97);
  assert.equal(g.heldKind, 'flow');
  assert.equal(g.heldFrame, 2);
  // After serviceSeconds without another odd opening the service's level gives way.
  assert.equal(h.apply(flow(9), S, 6 + FLOW_HOLD.serviceSeconds + 1, 90, 0.02, -1), 0.02);
});

test('FlowHold: a burst of flows holds a service verdict for serviceFlows flows only (time running fast)', () => {
  const h = new FlowHold(null, null, 1);
  const S = 88;
  assert.equal(h.apply(7000, S, 0, 1, 0.97, -1), 0.97);
  const got: number[] = [];
  for (let n = 1; n <= FLOW_HOLD.serviceFlows + 3; n++) got.push(h.apply(7000 + n, S, n * 0.001, 1 + n, 0.01, -1));
  assert.deepEqual(got.slice(0, FLOW_HOLD.serviceFlows - 1), new Array(FLOW_HOLD.serviceFlows - 1).fill(0.97), 'the flows right after it hold it');
  assert.equal(got[got.length - 1], 0.01, `more than ${FLOW_HOLD.serviceFlows} flows later, all within a second, the verdict is gone`);
});

/** Frame `frame` of an SSH connection 10.0.0.1:clientPort <-> 10.0.0.2:22: odd frames client to server; frame 1 its SYN unless `joined` (met mid-stream). */
function sshFrame(frame: number, joined = false, clientPort = 40000): RawPacket {
  const out = frame % 2 === 1;
  const syn = frame === 1 && !joined;
  const data = ethernet({ type: 0x0800, payload: ipv4({ src: out ? '10.0.0.1' : '10.0.0.2', dst: out ? '10.0.0.2' : '10.0.0.1', proto: 6,
    payload: tcp({ sport: out ? clientPort : 22, dport: out ? 22 : clientPort, flags: syn ? 0x02 : 0x18, payload: new Uint8Array(syn ? 0 : 48) }) }) });
  return { frame, tsSec: frame, tsNsec: 0, tsDigits: 6, capLen: data.length, origLen: data.length, linkType: 1, interfaceId: 0, data, source: 't' };
}

/** The final [score, held from, attention frame] of 20 SSH frames whose frame 1 scores 0.99, the rest 0.01. */
async function finalScores(joined: boolean, hot = 1): Promise<Array<[number, number, number]>> {
  const pend = new PendingPackets(1);
  const { decode } = await import('../src/capture/decode');
  for (let f = 1; f <= 20; f++) {
    const raw = sshFrame(f, joined);
    const p = decode(raw);
    pend.push(raw, f, flowKey(p), serviceKey(p));
  }
  // One window over frames 1..20: the opening's first `hot` frames score 0.99, the rest 0.01; attention on frame 1.
  const W = 20;
  const scores = new Float32Array(W).fill(0.01);
  scores.fill(0.99, 0, hot);
  const attention = new Float32Array(W).fill(0);
  attention[0] = 1;
  pend.applyWindow(0, 19, scores, attention, 0, W);
  const got: Array<[number, number, number]> = [];
  pend.takeFinal(Infinity, (f) => {
    for (let i = 0; i < f.length; i++) got.push([f.score(i), f.heldFrom(i), f.attentionFrame(i)]);
  });
  return got;
}

test('the pending ring hands out held scores: a connection flagged at its opening (two packets agreeing) is flagged throughout', async () => {
  const got = await finalScores(false, 2);
  assert.equal(got.length, 20);
  assert.deepEqual(got[0], [Math.fround(0.99), -1, 1]);
  assert.deepEqual(got[1], [Math.fround(0.99), -1, 1]);
  for (let i = 2; i < 20; i++) assert.deepEqual(got[i], [Math.fround(0.99), 2, 1], `frame ${i + 1} holds the score frame 2 corroborated`);
});

test('the pending ring: one odd opening packet alone holds nothing (corroboration), its neighbours judge it', async () => {
  const got = await finalScores(false, 1);
  assert.equal(got.length, 20);
  for (let i = 1; i < 20; i++) assert.deepEqual(got[i], [Math.fround(0.01), -1, 1], `frame ${i + 1} keeps its own score`);
});

test('a TCP connection met mid-stream has no opening: nothing holds its first packet\'s score, which its next packets judge', async () => {
  // The same 20 frames, but the first one seen is a data segment (a capture that starts while the
  // connection runs): nothing after it holds its 0.99, and since the 7 packets after it score
  // 0.01, so does it (a running connection's first packet seen has no history).
  const got = await finalScores(true);
  assert.equal(got.length, 20);
  assert.deepEqual(got[0], [Math.fround(0.01), -1, 1]);
  for (let i = 1; i < 20; i++) assert.deepEqual(got[i], [Math.fround(0.01), -1, 1], `frame ${i + 1} keeps its own score`);
});

test('FlowHold: a joined flow\'s first packets score at most the median of those after them; the latest keeps its own', () => {
  const lowered = new Map<number, number>();
  const h = new FlowHold(null, (id, score) => lowered.set(id, score), 1);
  const K = FLOW_HOLD.openingPackets;
  // A download met mid-stream: its first segment 0.99, then 0.2, 0.01, 0.01, ...
  const own = [0.99, 0.2, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.9, 0.9];
  const returned = own.map((v, i) => h.apply(8001, NO_FLOW, i * 0.01, 1 + i, v, -1));
  const final = (frame: number): number => Math.fround(lowered.get(frame) ?? returned[frame - 1]);
  assert.equal(final(1), Math.fround(0.01), 'the first segment: the median after it is 0.01');
  assert.equal(final(2), Math.fround(0.01));
  assert.equal(final(K - 1), Math.fround(0.01));
  assert.equal(final(K), Math.fround(0.01), `packet ${K}, the last of the start, has nothing after it there: its own score`);
  assert.deepEqual([final(K + 1), final(K + 2)], [0.9, 0.9].map(Math.fround), `packets after the ${K}th are judged by their neighbours only`);
  // A joined connection that goes on looking odd keeps its scores: median after packet 1 is 0.95.
  lowered.clear();
  const odd = [0.99, 0.95, 0.97, 0.9];
  const oddReturned = odd.map((v, i) => h.apply(8002, NO_FLOW, i * 0.01, 100 + i, v, -1));
  const oddFinal = (frame: number): number => Math.fround(lowered.get(frame) ?? oddReturned[frame - 100]);
  assert.equal(oddFinal(100), Math.fround(0.95));
  assert.equal(oddFinal(101), Math.fround(0.95), 'median of 0.97 and 0.9 is the upper one: its own 0.95 stands');
  assert.equal(oddFinal(102), Math.fround(0.9));
  // A probe with nothing after it (an ACK scan): never judged, keeps its own.
  lowered.clear();
  assert.equal(h.apply(8003, NO_FLOW, 0, 200, 0.99, -1), 0.99);
  assert.equal(lowered.size, 0);
  // A flow that opened with a SYN is never judged so.
  h.apply(8004, 44, 0, 300, 0.99, -1);
  h.apply(8004, NO_FLOW, 0.1, 301, 0.01, -1);
  assert.equal(lowered.has(300), false);
});

test('FlowHold: a packet scores at most the median of the nearPackets packets either side of it in its flow', () => {
  const lowered = new Map<number, number>();
  const h = new FlowHold(() => undefined, (id, score) => lowered.set(id, score), 1);
  const N = FLOW_HOLD.nearPackets;
  assert.equal(N, 2, 'the cases below are written for a span of 5');
  // A connection that opened calm (its first 10 packets 0.01), then one packet scores 0.99, later a
  // run of three 0.98s and a run of two 0.97s. One odd packet (or two) in a calm connection is not
  // believed; three in five are.
  const calm = new Array(10).fill(0.01);
  const own = [...calm, 0.99, 0.01, 0.01, 0.01, 0.98, 0.98, 0.98, 0.01, 0.01, 0.97, 0.97, 0.01, 0.01, 0.01];
  const returned = own.map((v, i) => h.apply(9001, 91, i * 0.01, 1 + i, v, -1));
  const final = own.map((_v, i) => Math.fround(lowered.get(1 + i) ?? returned[i]));
  assert.equal(final[10], Math.fround(0.01), 'the lone 0.99');
  assert.deepEqual(final.slice(14, 17), [0.98, 0.98, 0.98].map(Math.fround), 'the run of three keeps its scores');
  assert.deepEqual(final.slice(19, 21), [0.01, 0.01].map(Math.fround), 'the run of two does not');
  assert.equal(final.filter((v) => v === Math.fround(0.01)).length, own.length - 3);
  // The latest packet is judged by the packets there are so far: a 0.99 after calm ones returns
  // 0.01, and two more 0.99s after it raise it back (onLower names the new score).
  lowered.clear();
  calm.forEach((v, i) => h.apply(9002, 92, i * 0.01, 100 + i, v, -1));
  assert.equal(h.apply(9002, 92, 0.1, 110, 0.99, -1), Math.fround(0.01), 'alone so far');
  h.apply(9002, 92, 0.11, 111, 0.99, -1);
  assert.equal(h.apply(9002, 92, 0.12, 112, 0.99, -1), Math.fround(0.99), 'the third in its span');
  assert.equal(lowered.get(110), Math.fround(0.99), 'frame 110 now has two 0.99s after it');
  // A flow flagged at its opening holds its verdict: its neighbours all hold it too.
  lowered.clear();
  h.apply(9003, 93, 0, 200, 0.99, -1);
  for (let i = 1; i < 10; i++) assert.equal(h.apply(9003, 93, i * 0.01, 200 + i, 0.01, -1), Math.fround(0.99));
  assert.equal(lowered.size, 0);
  // A one-packet flow (a probe) and a two-packet one keep their own scores.
  assert.equal(h.apply(9004, 94, 0, 300, 0.99, -1), 0.99);
  h.apply(9005, 95, 0, 301, 0.99, -1);
  assert.equal(h.apply(9005, 95, 0.01, 302, 0.01, -1), Math.fround(0.99), 'held by its opening, which stays');
  assert.equal(lowered.size, 0);
});

test('FlowHold: a look-back raise counts among the raised packets\' neighbours, so they do not lower it again', () => {
  const now = new Map<number, number>();
  const h = new FlowHold((id, score) => now.set(id, Math.max(now.get(id) ?? -1, score)), (id, score) => now.set(id, score), 1);
  const S = 96;
  // Connection A of a service scores 0.01; connection B of the same service opens at 0.99 and raises A.
  for (let i = 0; i < 4; i++) now.set(1 + i, Math.fround(h.apply(9101, S, i * 0.01, 1 + i, 0.01, -1)));
  h.apply(9102, S, 1, 11, 0.99, -1);
  for (let f = 1; f <= 4; f++) assert.equal(Math.fround(now.get(f)!), Math.fround(0.99), `frame ${f} raised`);
  // A's next packet (held by the service's verdict) judges A's latest packets by their raised scores.
  now.set(5, Math.fround(h.apply(9101, S, 1.01, 5, 0.01, -1)));
  for (let f = 1; f <= 5; f++) assert.equal(Math.fround(now.get(f)!), Math.fround(0.99), `frame ${f} stays raised`);
});

test('FlowHold: without a SYN there is no opening, for a connection never seen or one resuming after idleness', () => {
  const h = new FlowHold(null, null, 1);
  const A = 3003, B = 4004, SA = 33; // flows; A's service (data segments have serviceKey NO_FLOW)
  const idle = FLOW_HOLD.idleSeconds + 1;
  // A opens with a SYN: its opening holds.
  assert.equal(h.apply(A, SA, 0, 1, 0.95, -1), 0.95, 'the SYN');
  assert.equal(h.apply(A, NO_FLOW, 0.1, 2, 0.02, -1), 0.95);
  assert.equal(h.heldFrame, 1);
  // Idle past the limit, A resumes with data segments: no handshake, nothing to hold (measured:
  // re-opening on them lowers realdata's ranking, the hubs' MQTT sessions resume so all day).
  assert.equal(h.apply(A, NO_FLOW, idle, 3, 0.9, -1), 0.9);
  assert.equal(h.apply(A, NO_FLOW, idle + 0.1, 4, 0.02, -1), 0.02);
  assert.equal(h.heldFrame, -1);
  // B's first packet seen is a data segment: its high score is its own, the next packet keeps its own.
  assert.equal(h.apply(B, NO_FLOW, 0, 10, 0.95, -1), 0.95);
  assert.equal(h.apply(B, NO_FLOW, 0.1, 11, 0.02, -1), 0.02);
  assert.equal(h.heldFrame, -1);
});

test('FlowHold look-back: an opening raises the earlier packets of its flow and of its service from the last lookBackSeconds', () => {
  const raised = new Map<number, { score: number; frame: number; kind: string }>();
  const h = new FlowHold((id, score, frame, _attention, kind) => raised.set(id, { score, frame, kind }), null, 1);
  const S = 55;
  const LB = FLOW_HOLD.lookBackSeconds;
  // Connection 1 (frames 1-5) at t=0, connection 2 (frames 11-15) at t=LB-5: both score low, and
  // connection 2's 0.02 already raises connection 1's 0.01 (a look-back works at every level: ranking).
  for (let k = 0; k < 5; k++) h.apply(6001, S, k * 0.1, 1 + k, 0.01, -1);
  for (let k = 0; k < 5; k++) h.apply(6002, S, LB - 5 + k * 0.1, 11 + k, 0.02, -1);
  for (let f = 1; f <= 5; f++) assert.deepEqual(raised.get(f), { score: 0.02, frame: 11, kind: 'service' }, `frame ${f}`);
  raised.clear();
  // Connection 3 at t=LB+1: its first packet scores 0.03, its second 0.97.
  h.apply(6003, S, LB + 1, 21, 0.03, -1);
  assert.equal(h.apply(6003, S, LB + 1.1, 22, 0.97, 9), 0.97);
  // Connection 1 lies more than lookBackSeconds before: untouched. Connection 2 and frame 21 hold 0.97 from frame 22.
  for (let f = 1; f <= 5; f++) assert.equal(raised.has(f), false, `frame ${f} lies ${LB + 1} s before: not raised`);
  for (let f = 11; f <= 15; f++) assert.deepEqual(raised.get(f), { score: 0.97, frame: 22, kind: 'service' }, `frame ${f}`);
  assert.deepEqual(raised.get(21), { score: 0.97, frame: 22, kind: 'flow' });
  assert.equal(raised.has(22), false, 'the opening itself is not raised');
  // A lower opening right after raises nothing; a higher one raises everything of the last lookBackSeconds again.
  raised.clear();
  h.apply(6004, S, LB + 2, 31, 0.5, -1);
  assert.equal(raised.size, 0, 'nothing of the service lies below 0.5 but what 0.97 raised already');
  h.apply(6004, S, LB + 2.1, 32, 0.99, -1);
  assert.deepEqual([...raised.keys()].sort((a, b) => a - b), [11, 12, 13, 14, 15, 21, 22, 31]);
  // Another service, and a flow joined mid-stream, are never raised.
  raised.clear();
  h.apply(7001, 56, LB + 2.2, 40, 0.01, -1);
  h.apply(7002, NO_FLOW, LB + 2.3, 41, 0.01, -1);
  h.apply(6005, S, LB + 2.4, 42, 1, -1);
  assert.equal(raised.has(40) || raised.has(41), false);
  assert.equal(raised.get(32)?.score, 1);
});

test('the pending ring keeps packets for lookBackSeconds: a later flagged connection raises an earlier one before it is handed on', async () => {
  const { decode } = await import('../src/capture/decode');
  const pend = new PendingPackets(1);
  // Two SSH connections of one client to one server: frames 1-10 (t=1..10) and 11-20 (t=21..30).
  const frames: RawPacket[] = [];
  for (let f = 1; f <= 20; f++) {
    const raw = f <= 10 ? sshFrame(f) : sshFrame(f - 10, false, 40001);
    frames.push({ ...raw, frame: f, tsSec: f <= 10 ? f : f + 10 });
  }
  for (const raw of frames) {
    const p = decode(raw);
    pend.push(raw, raw.tsSec, flowKey(p), serviceKey(p));
  }
  // Connection 1 scores 0.01 throughout; connection 2's SYN and the packet after it 0.99.
  const W = 20;
  const scores = new Float32Array(W).fill(0.01);
  scores[10] = scores[11] = 0.99;
  pend.applyWindow(0, 19, scores, new Float32Array(W), 0, W);
  const got: Array<[number, number, number]> = [];
  const visit = (f: FinalPackets) => { for (let i = 0; i < f.length; i++) got.push([f.frame(i), f.score(i), f.heldFrom(i)]); };
  // Frames up to 10 are final by their windows; the last (t=30) lies within lookBackSeconds of them: they wait.
  assert.equal(pend.takeFinal(20, visit), 0, 'every packet is within lookBackSeconds of the latest');
  pend.takeFinal(Infinity, visit);
  assert.equal(got.length, 20);
  for (const [frame, score, from] of got) {
    assert.equal(score, Math.fround(0.99), `frame ${frame}: connection 1 is raised by connection 2's flagged opening, connection 2 holds it`);
    assert.equal(from, frame === 11 || frame === 12 ? -1 : 12, `frame ${frame} names the packet that corroborated the flag`);
  }
});
