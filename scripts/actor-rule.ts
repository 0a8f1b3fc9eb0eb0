/**
 * Actor corroboration, measured over saved scores: an actor (the initiator of a flow, or the
 * source of a packet without ports) whose attempts (flow openings, portless packets) score at
 * least `level` `count` times within `seconds` is an event, and so are those attempts and their
 * flows' packets up to FLOW_HOLD.maxPackets. On top of the flow-hold rule.
 */
import { FLOW_HOLD, FlowHold, NO_FLOW, flowKey, serviceKey } from '../src/pipeline/flow-hold';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import type { Capture, Rule } from './score-rules';

export interface ActorParams { level: number; count: number; seconds: number; own?: boolean; atApply?: boolean; forward?: boolean; /** count odd attempts per target (destination address and service) instead of per source */ target?: boolean; /** per source and target together (one client at one service) */ pair?: boolean; /** the odd attempts' least share of the actor's attempts in the window */ share?: number }

export function actorRule(base: Rule, threshold: number, a: ActorParams): Rule {
  return (c) => {
    const out = base(c);
    const applied = a.atApply ? appliedScores(c) : null;
    const p = c.packets;
    const n = c.own.length;
    /** Per packet: the index of its attempt's first packet, and its place in that flow. */
    const attemptOf = new Int32Array(n);
    const place = new Int32Array(n);
    const flows = new Map<number, { last: number; first: number; count: number }>();
    const actors = new Map<string, number[]>();
    const all = new Map<string, number[]>();
    const raised = new Uint8Array(n);
    const raise = (j: number, at: number) => {
      if (raised[j]) return;
      raised[j] = 1;
      if (!out.flagged[j]) { out.flagged[j] = 1; out.flaggedAt[j] = at; }
      if (out.score[j] < threshold) out.score[j] = threshold;
    };
    for (let i = 0; i < n; i++) {
      const d = { srcIp: p.src[i], dstIp: p.dst[i], srcMac: p.srcMac[i], ipProto: p.proto[i], srcPort: p.sport[i], dstPort: p.dport[i], tcpFlags: p.flags[i] } as DecodedPacket;
      const k = flowKey(d);
      let f = k === NO_FLOW ? undefined : flows.get(k);
      if (f !== undefined && p.ts[i] - f.last <= FLOW_HOLD.idleSeconds) {
        f.last = p.ts[i]; f.count++;
        attemptOf[i] = f.first; place[i] = f.count;
        if (raised[f.first] && f.count <= FLOW_HOLD.maxPackets) raise(i, p.ts[i]);
        continue;
      }
      if (k !== NO_FLOW) flows.set(k, (f = { last: p.ts[i], first: i, count: 1 }));
      attemptOf[i] = i; place[i] = 1;
      const who = p.src[i] ?? p.srcMac[i] ?? '';
      let every = all.get(who);
      if (!every) all.set(who, (every = []));
      every.push(p.ts[i]);
      while (p.ts[i] - every[0] > a.seconds) every.shift();
      if ((a.own ? c.own[i] : applied ? applied[i] : out.score[i]) < a.level) continue;
      const to = `${p.dst[i]} ${p.proto[i]} ${p.dport[i]}`;
      const actor = a.pair ? `${p.src[i] ?? p.srcMac[i] ?? ''} ${to}` : a.target ? to : p.src[i] ?? p.srcMac[i] ?? '';
      let list = actors.get(actor);
      if (!list) actors.set(actor, (list = []));
      list.push(i);
      while (p.ts[i] - p.ts[list[0]] > a.seconds) list.shift();
      if (a.share !== undefined && list.length < a.share * every.length) continue;
      if (list.length >= a.count && a.forward) raise(i, p.ts[i]);
      else if (list.length >= a.count) for (const j of list) if (p.ts[i] - p.ts[j] <= FLOW_HOLD.lookBackSeconds) raise(j, p.ts[i]);
    }
    return out;
  };
}

export function actorVariants(): ActorParams[] {
  return process.env.ACTOR ? (JSON.parse(process.env.ACTOR) as number[][]).map(([level, count, seconds, own, share]) => ({ level, count, seconds: seconds ?? 60, own: own === 1, atApply: own === 2, forward: own >= 3, target: own === 4, pair: own === 5, share })) : [];
}

export type { Capture };

/** Each packet's score as FlowHold.apply returns it (before later packets judge it). */
function appliedScores(c: Capture): Float32Array {
  const p = c.packets;
  const out = new Float32Array(c.own.length);
  const hold = new FlowHold(() => {}, () => {});
  for (let i = 0; i < out.length; i++) {
    const d = { srcIp: p.src[i], dstIp: p.dst[i], srcMac: p.srcMac[i], ipProto: p.proto[i], srcPort: p.sport[i], dstPort: p.dport[i], tcpFlags: p.flags[i] } as DecodedPacket;
    out[i] = hold.apply(flowKey(d), serviceKey(d), p.ts[i], i + 1, c.own[i], -1, i);
  }
  return out;
}
