import { ActorEvidence, ScoreTail, type EvidenceParams } from '../src/pipeline/actor-evidence';
import { calibrateLevel } from '../src/pipeline/evidence-calibration';
import type { Capture, Rule, RuleOutput, SavedRun } from './score-rules';

/** The calibration part as calibrateLevel reads it. */
export function calibrationPackets(c: Capture) {
  const p = c.packets;
  return { length: c.own.length, src: (i: number) => p.src[i] ?? p.srcMac[i], dst: (i: number) => p.dst[i], ts: (i: number) => p.ts[i], score: (i: number) => c.own[i] };
}

interface Variant { level: number | 'cal'; target?: number; params: EvidenceParams; /** packets flagged: 'odd' those adding evidence, 'all' every packet of the actor */ which: 'odd' | 'all' | 'pair'; lookBack: number }

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
    out.push([`evidence h=${v.level} k=${v.params.drift} T=${v.params.halfLifeSeconds} ${v.which} lb=${v.lookBack}${note}`, (c) => apply(c, tail, fixed)]);
  }
  return out;
}

function apply(c: Capture, tail: ScoreTail, v: Variant & { level: number }): RuleOutput {
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
  for (let i = 0; i < n; i++) {
    const src = p.src[i] ?? p.srcMac[i];
    const dst = p.dst[i];
    const e = ev.apply(src, dst, p.ts[i], c.own[i]);
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
