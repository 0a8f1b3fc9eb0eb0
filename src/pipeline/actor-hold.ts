import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { FLOW_HOLD, NO_FLOW, remember } from './flow-hold';

/**
 * The actor verdict: a source that keeps making attempts the model calls more likely anomalous
 * than not is an event, even when no single attempt reaches the alert threshold. Why: slow
 * scans, sweeps, password spraying and brute force are many moderately unusual attempts from
 * one actor, and a benign surprise (a new host, one odd connection) is one or two. On a network
 * the recipe was not tuned on, the missed attacks' packets scored 0.75–0.99, above the benign
 * 99th percentile, below the threshold (issue "Alerts that hold on a network the recipe was
 * never tuned on"). Zeek raises its scan and brute-force notices by counting per source over a
 * time window with limits per protocol; here the count is of the model's own judgements, the
 * same for every protocol.
 *
 * Rule (applied to final scores, in capture order, as packets are handed on):
 * - An attempt is a packet that opens a flow (its first packet, or the first after the flow was
 *   idle `FLOW_HOLD.idleSeconds`), or a packet without ports (ARP, ICMP, ...). Its actor is its
 *   source: IP address (an ARP packet's sender address), else MAC address.
 * - An attempt is odd when its final score (after the flow and service verdicts and the
 *   neighbours' judgement) is at least `level`: 0.5, the sigmoid head's own decision point.
 * - When an actor's last `attempts` odd attempts fall within `seconds`, the latest is held at the
 *   alert threshold, and so are the later packets of its flow, up to FLOW_HOLD.maxPackets.
 *
 * Forward only: the earlier odd attempts were handed on already (the look-back of flow-hold.ts
 * waits 30 s; an actor's ten attempts can span minutes). The window is 5 minutes, as Zeek's scan
 * detection counts over 5 minutes, so that slow scans and guessers add up too: on realdata's
 * 24 h of held-out benign traffic 60, 300 and 900 s give the same figures on every model (no
 * benign source gathers ten odd attempts even in 15 minutes); realdata-b's 21 s cannot tell them
 * apart. Measured over saved scores, 3 seeds
 * (scripts/actor-rule.ts, docs/quality.md): realdata unchanged (TPR 0.889 → 0.890, 2.5 false
 * incidents a day), realdata-b 17.7 → 18.7 of 20 attacks raising an incident, TPR 0.729 → 0.763,
 * false incidents 1.53 → 1.51 per 10k. On both networks no benign actor outside the ones the model
 * already flags at the threshold reaches 10 odd attempts in a minute (realdata: at most 2).
 */
export const ACTOR_HOLD = { level: 0.5, attempts: 10, seconds: 300 } as const;

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

interface Flow { last: number; packets: number; held: boolean; frame: number }

/**
 * A 53-bit key of the packet's source (IP address, an ARP packet's sender address, else MAC address), or NO_FLOW without one.
 * Packets get it when they enter the pipeline; the actor verdict reads it when they leave.
 */
export function actorKey(p: DecodedPacket): number {
  return addressKey(p.srcIp ?? p.arpSenderIp ?? p.srcMac);
}

/** A 53-bit key of an address (two 32-bit FNV-1a-style hashes), NO_FLOW for none. */
export function addressKey(a: string | null): number {
  if (a === null) return NO_FLOW;
  let h1 = 0x811c9dc5, h2 = 0x9e3779b1;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

export class ActorHold {
  /** Per actor: the times of its last `attempts` odd attempts, in a ring (slot n % attempts), and how many so far. */
  private readonly actors = new Map<number, { times: Float64Array; n: number }>();
  private readonly flows = new Map<number, Flow>();
  /** After apply: the frame of the attempt whose actor verdict the packet holds, else -1. */
  heldFrame = -1;
  /** What a held packet scores: the threshold, as the smallest float32 at or above it (scores are stored as float32). */
  private held = 0;

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  get threshold(): number {
    return this.held;
  }

  set threshold(t: number) {
    F32[0] = t;
    if (F32[0] < t) I32[0]++; // positive floats: the next representable one up
    this.held = F32[0];
  }

  /** The packet's score after the actor verdict (actor: actorKey, flow: flowKey). */
  apply(actor: number, flow: number, ts: number, frame: number, score: number): number {
    this.heldFrame = -1;
    let f: Flow | undefined;
    if (flow !== NO_FLOW) {
      f = this.flows.get(flow);
      if (f !== undefined && ts - f.last <= FLOW_HOLD.idleSeconds) {
        f.last = ts;
        if (++f.packets <= FLOW_HOLD.maxPackets && f.held && score < this.held) {
          this.heldFrame = f.frame;
          return this.held;
        }
        return score;
      }
      if (f !== undefined) this.flows.delete(flow);
      f = { last: ts, packets: 1, held: false, frame };
      remember(this.flows, flow, f);
    }
    if (score < ACTOR_HOLD.level || actor === NO_FLOW) return score;
    const { attempts, seconds } = ACTOR_HOLD;
    let a = this.actors.get(actor);
    if (a === undefined) remember(this.actors, actor, (a = { times: new Float64Array(attempts), n: 0 }));
    a.times[a.n % attempts] = ts;
    a.n++;
    // The oldest of the last `attempts` odd attempts (this one among them) is in the next slot.
    if (a.n < attempts || ts - a.times[a.n % attempts] > seconds) return score;
    if (f !== undefined) f.held = true;
    if (score >= this.held) return score;
    this.heldFrame = frame;
    return this.held;
  }
}
