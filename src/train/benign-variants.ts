import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { SeededRandom } from '../seeded-random';

/**
 * Benign variants of a real benign stream, labelled 0, that teach the model what is NOT an
 * anomaly although it is new (docs/training.md, "Benign novelty"):
 *
 * Both keep the packets' own labels (a labelled attack stays an attack).
 *
 * - renumberedPeers: every network meets new peers (a cloud service moves to another address,
 *   a device reconnects to another server). In one capture only a handful of such events
 *   happen while the context tables are warm, so a model learns "a host never seen before" as
 *   an attack sign; measured on realdata's held-out day, a reconnect of a hub to a new cloud
 *   address was most of its false incidents. Here, from a random point on, each of some of the
 *   stream's Internet peers gets a fresh address: same traffic, new peer.
 * - coldSlices: a capture's first packets meet empty context tables (every host and flow is
 *   new, every rate is low). Short slices of the stream, each extracted with fresh context
 *   state, are the same benign traffic seen cold, so being first is not an anomaly.
 */

/** RFC 1918, loopback, link-local, CGNAT, multicast and broadcast: not "Internet peers". */
function isLocalIpv4(a: number): boolean {
  const o1 = a >>> 24, o2 = (a >>> 16) & 0xff;
  return o1 === 10 || o1 === 127 || o1 >= 224 || o1 === 0 || (o1 === 172 && o2 >= 16 && o2 < 32) || (o1 === 192 && o2 === 168)
    || (o1 === 169 && o2 === 254) || (o1 === 100 && o2 >= 64 && o2 < 128);
}

const dotted = (a: number): string => `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;

export function renumberedPeers(packets: DecodedPacket[], seed: number, share = 0.5): DecodedPacket[] {
  const rng = new SeededRandom(seed);
  const peers = new Map<number, number>(); // first index a peer is seen
  packets.forEach((p, i) => {
    for (const a of [p.srcIpv4, p.dstIpv4]) if (a >= 0 && !isLocalIpv4(a) && !peers.has(a)) peers.set(a, i);
  });
  // peer → [index from which it is renamed, new address]
  const moves = new Map<number, { from: number; to: number; str: string }>();
  for (const [a, first] of peers) {
    if (rng.next() >= share) continue;
    const from = first + Math.floor(rng.next() * (packets.length - first));
    let to: number;
    do to = ((rng.u32() % 0xdf000000) + 0x01000000) >>> 0; while (isLocalIpv4(to) || peers.has(to));
    moves.set(a, { from, to, str: dotted(to) });
  }
  return packets.map((p, i) => {
    const s = moves.get(p.srcIpv4), d = moves.get(p.dstIpv4);
    if ((!s || i < s.from) && (!d || i < d.from)) return p;
    const q = { ...p };
    if (s && i >= s.from) { q.srcIpv4 = s.to; q.srcIp = s.str; }
    if (d && i >= d.from) { q.dstIpv4 = d.to; q.dstIp = d.str; }
    return q;
  });
}

/** `count` slices [start, end) of `minLen`..`maxLen` packets at seeded random places (each to be extracted cold). */
export function coldSlices(n: number, seed: number, count: number, minLen = 64, maxLen = 512): Array<[number, number]> {
  const rng = new SeededRandom(seed);
  const out: Array<[number, number]> = [];
  if (n < minLen) return out;
  for (let k = 0; k < count; k++) {
    const len = Math.min(n, minLen + Math.floor(rng.next() * (maxLen - minLen + 1)));
    const start = Math.floor(rng.next() * (n - len + 1));
    out.push([start, start + len]);
  }
  return out;
}
