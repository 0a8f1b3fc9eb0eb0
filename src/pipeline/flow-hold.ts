import type { DecodedPacket } from '../capture/decode/decoded-packet';

/**
 * The flow verdict: a TCP/UDP flow whose opening scored high keeps that score for the rest of
 * the flow. Why: the model judges a packet by the window around it, and in the middle of a
 * connection that window is the connection itself. A password-guessing session is flagged at
 * its SYN (a new flow from a new peer, seconds after the last one) but its later packets look
 * like any SSH session, so on realdata 93% of its packets scored below the threshold although
 * 9 of its 11 connections were flagged at their start. Operators think in connections: when a
 * connection's opening is an alert, so is the connection.
 *
 * Rule, per bidirectional 5-tuple: the flow's max score over its first `openingPackets` packets
 * is held by its later packets up to its `maxPackets`th (a packet's final score = max(own,
 * held)), until the flow is idle for more than `idleSeconds` (then the next packet opens it
 * again). Only the opening counts, so a long benign session that turns odd late (a download's
 * last segments) does not flag the rest of itself; the idle limit keeps a periodic exchange on a
 * fixed 5-tuple (NTP polls every 64 s) from carrying one alert across hours, and the packet limit
 * does the same for a long-lived connection that is never idle (an MQTT session with
 * keep-alives, or any flow of a capture replayed faster than it was recorded). The values were
 * chosen on realdata (docs/quality.md, "Flow verdict"): the packet limit costs nothing there (a
 * guessing connection is ~40 packets). Replay, the daemon and training's calibration all score
 * through this one rule.
 */
export const FLOW_HOLD = { openingPackets: 8, idleSeconds: 30, maxPackets: 128 } as const;

/** No flow (not TCP/UDP): the packet keeps its own score. */
export const NO_FLOW = -1;

/**
 * A 53-bit key of the packet's bidirectional 5-tuple (both directions give the same key), or
 * NO_FLOW. Two 32-bit FNV-1a hashes with different seeds, combined so that two concurrent
 * flows colliding is ~1e-8 even with 10^4 flows open. No allocation: it runs for every packet.
 */
export function flowKey(p: DecodedPacket): number {
  if (p.srcPort < 0 || p.dstPort < 0 || p.ipProto < 0 || p.srcIp === null || p.dstIp === null) return NO_FLOW;
  const forward = p.srcIp < p.dstIp || (p.srcIp === p.dstIp && p.srcPort <= p.dstPort);
  const a = forward ? p.srcIp : p.dstIp, b = forward ? p.dstIp : p.srcIp;
  const pa = forward ? p.srcPort : p.dstPort, pb = forward ? p.dstPort : p.srcPort;
  h1 = 0x811c9dc5 ^ p.ipProto;
  h2 = Math.imul(0x01000193 ^ p.ipProto, 0x9e3779b1);
  for (let i = 0; i < a.length; i++) mix(a.charCodeAt(i));
  mix(pa);
  mix(0x7c);
  for (let i = 0; i < b.length; i++) mix(b.charCodeAt(i));
  mix(pb);
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

let h1 = 0, h2 = 0;
function mix(c: number): void {
  h1 = Math.imul(h1 ^ c, 0x01000193);
  h2 = Math.imul(h2 ^ c, 0x5bd1e995);
}

interface FlowState { packets: number; held: number; heldFrame: number; heldAttention: number; last: number }

/** Flows remembered at most; beyond it the ones idle longest are forgotten (a scan opens millions). */
const MAX_FLOWS = 1 << 16;

/**
 * Applies the flow verdict to packets in capture order. `apply` returns the packet's final
 * score; after it, `heldFrame`/`heldAttention` tell whether the score was held (the frame whose
 * score it holds, else -1) and the attention frame that goes with it.
 */
export class FlowHold {
  private readonly flows = new Map<number, FlowState>();
  heldFrame = -1;
  heldAttention = -1;

  apply(key: number, ts: number, frame: number, score: number, attention: number): number {
    this.heldFrame = -1;
    this.heldAttention = attention;
    if (key === NO_FLOW) return score;
    let f = this.flows.get(key);
    if (f === undefined || ts - f.last > FLOW_HOLD.idleSeconds) {
      if (f !== undefined) this.flows.delete(key); // re-inserted last: Map order stays "least recently opened first"
      if (this.flows.size >= MAX_FLOWS) this.forgetOldest();
      f = { packets: 0, held: -1, heldFrame: -1, heldAttention: -1, last: ts };
      this.flows.set(key, f);
    }
    f.packets++;
    if (ts > f.last) f.last = ts;
    const own = score;
    if (f.held > score && f.packets <= FLOW_HOLD.maxPackets) {
      score = f.held;
      this.heldFrame = f.heldFrame;
      this.heldAttention = f.heldAttention;
    }
    if (f.packets <= FLOW_HOLD.openingPackets && own > f.held) {
      f.held = own;
      f.heldFrame = frame;
      f.heldAttention = attention;
    }
    return score;
  }

  get size(): number {
    return this.flows.size;
  }

  /** Forget the quarter of flows opened longest ago (an active one among them just opens again). */
  private forgetOldest(): void {
    let n = MAX_FLOWS >> 2;
    for (const k of this.flows.keys()) {
      if (n-- <= 0) break;
      this.flows.delete(k);
    }
  }
}
