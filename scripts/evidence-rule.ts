import { ActorEvidence, ScoreTail, type EvidenceParams } from './actor-evidence';
import { flowKey, serviceKey, NO_FLOW } from '../src/pipeline/flow-hold';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { calibrateLevel } from './evidence-calibration';
import type { Capture, Rule, RuleOutput, SavedRun } from './score-rules';

/** The calibration part as calibrateLevel reads it. */
export function calibrationPackets(c: Capture) {
  const p = c.packets;
  return { length: c.own.length, src: (i: number) => p.src[i] ?? p.srcMac[i], dst: (i: number) => p.dst[i], ts: (i: number) => p.ts[i], score: (i: number) => c.own[i] };
}

interface Variant { mode?: 'tail' | 'min' | 'gate' | 'own'; cap?: number; gate?: number; joined?: boolean; level: number | 'cal'; target?: number; params: EvidenceParams; /** packets flagged: 'odd' those adding evidence, 'all' every packet of the actor */ which: 'odd' | 'all' | 'pair'; lookBack: number }

/** The actor-evidence rule variants under study, calibrated on the run's calibration part. */
export function evidenceRule(run: SavedRun): [string, Rule][] {
  const tail = new ScoreTail(run.calibration.own);
  const out: [string, Rule][] = [];
  const variants: Variant[] = [];
  const only = process.env.EV ? JSON.parse(process.env.EV) as Partial<Variant>[] : null;
  if (only) for (const v of only) variants.push({ level: 20, params: { drift: 1, halfLifeSeconds: 60 }, which: 'odd', lookBack: 0, ...v });
  else for (const level of [10, 20]) for (const which of ['odd', 'all'] as const) for (const lookBack of [0, 30]) variants.push({ level, params: { drift: 1, halfLifeSeconds: 60 }, which, lookBack });
  for (const v of variants) {
    let level = v.level, note = '';
    if (level === 'cal') {
      const cal = calibrateLevel(calibrationPackets(run.calibration), tail, v.params, v.target ?? 1);
      level = cal.level;
      note = ` (cal ${cal.level.toFixed(1)}, ${cal.excursions} exc over ${cal.spanSeconds.toFixed(0)} s, ${cal.excursionsAtLevel} at it, tail ${cal.tailFrom.toFixed(1)}+${cal.tailScale.toFixed(2)})`;
    }
    const fixed = { ...v, level };
    out.push([`evidence ${v.mode ?? 'min'}${v.mode === 'gate' ? v.gate : v.mode === 'own' ? `cap${v.cap ?? 5}` : ''}${v.joined ? ' joined' : ''} h=${v.level} k=${v.params.drift} T=${v.params.halfLifeSeconds} ${v.which} lb=${v.lookBack}${note}`, (c) => apply(c, tail, fixed)]);
  }
  return out;
}

function apply(c: Capture, tail: ScoreTail, v: Variant & { level: number }): RuleOutput {
  ScoreTail.mode = v.mode ?? 'min';
  ScoreTail.gate = v.gate ?? 0.5;
  ScoreTail.cap = v.cap ?? 5;
  const n = c.own.length;
  const ev = new ActorEvidence(tail, v.params);
  const score = new Float32Array(n);
  const flagged = new Uint8Array(n);
  const flaggedAt = new Float64Array(n);
  const p = c.packets;
  /** Per actor: its packets since its evidence last left 0 (the CUSUM's change-point estimate). */
  const since = new Map<string, number[]>();
  const flag = (i: number, at: number) => {
    if (!flagged[i]) { flagged[i] = 1; flaggedAt[i] = at; }
  };
  const joined = v.joined ? joinedFlags(c) : null;
  for (let i = 0; i < n; i++) {
    const src = p.src[i] ?? p.srcMac[i];
    const dst = p.dst[i];
    const e = ev.apply(src, dst, p.ts[i], joined && joined[i] ? 0 : c.own[i]);
    score[i] = e + c.own[i] * 1e-3;
    const odd = ev.surprise > v.params.drift;
    for (const a of [src, dst]) {
      if (a === null) continue;
      const l = ev.level(a, p.ts[i]);
      let list = since.get(a);
      if (l <= 0) { since.delete(a); continue; }
      if (!list) since.set(a, (list = []));
      const other = a === src ? dst : src;
      if (v.which === 'all' || odd || (v.which === 'pair' && other !== null && ev.level(other, p.ts[i]) > 0)) list.push(i);
      if (l >= v.level) {
        for (const j of list) if (p.ts[i] - p.ts[j] <= v.lookBack || j === i) flag(j, p.ts[i]);
        list.length = 0;
      }
    }
  }
  return { score, flagged, flaggedAt };
}

/** Per packet: 1 when it belongs to a TCP flow first seen without a SYN (joined mid-stream; a flow idle 30 s starts again). */
export function joinedFlags(c: Capture): Uint8Array {
  const p = c.packets;
  const out = new Uint8Array(c.own.length);
  const flows = new Map<number, { last: number; joined: boolean }>();
  for (let i = 0; i < out.length; i++) {
    const d = { srcIp: p.src[i], dstIp: p.dst[i], ipProto: p.proto[i], srcPort: p.sport[i], dstPort: p.dport[i], tcpFlags: p.flags[i] } as DecodedPacket;
    const k = flowKey(d);
    if (k === NO_FLOW) continue;
    let f = flows.get(k);
    if (f === undefined || p.ts[i] - f.last > 30) flows.set(k, (f = { last: p.ts[i], joined: p.proto[i] === 6 && serviceKey(d) === NO_FLOW }));
    f.last = p.ts[i];
    out[i] = f.joined ? 1 : 0;
  }
  return out;
}
