import type { AnomalyRow } from './alert-source';

/**
 * What an incident's evidence accumulated on: the features its packets' explanations name most
 * often, and the packets whose verdict others hold. top_features is "name=+5.9σ, name=-3.1σ",
 * optionally led by "flow verdict of frame N; ", "service verdict of frame N; ", "actor verdict of frame N; "
 * or "target verdict of frame N; "
 * (README, "Scoring semantics").
 */
export interface EvidenceTally {
  /** Feature name, packets naming it, the largest deviation seen (σ, signed). */
  features: Array<{ name: string; packets: number; maxSigma: number }>;
  /** Frames whose flow, service or actor verdict other packets hold, with how many hold it. */
  verdicts: Array<{ kind: VerdictKind; frame: number; packets: number }>;
}

type VerdictKind = 'flow' | 'service' | 'actor' | 'target';
const VERDICT = /^(flow|service|actor|target) verdict of frame (\d+)/;
const FEATURE = /([A-Za-z0-9_]+)=([+-]?\d+(?:\.\d+)?)σ/g;

export function tallyEvidence(rows: AnomalyRow[], top = 8): EvidenceTally {
  const feats = new Map<string, { packets: number; maxSigma: number }>();
  const verdicts = new Map<string, { kind: VerdictKind; frame: number; packets: number }>();
  for (const r of rows) {
    const v = VERDICT.exec(r.topFeatures);
    if (v) {
      const key = `${v[1]}:${v[2]}`;
      const e = verdicts.get(key) ?? { kind: v[1] as VerdictKind, frame: Number(v[2]), packets: 0 };
      e.packets++;
      verdicts.set(key, e);
    }
    for (const m of r.topFeatures.matchAll(FEATURE)) {
      const sigma = Number(m[2]);
      const e = feats.get(m[1]) ?? { packets: 0, maxSigma: 0 };
      e.packets++;
      if (Math.abs(sigma) > Math.abs(e.maxSigma)) e.maxSigma = sigma;
      feats.set(m[1], e);
    }
  }
  return {
    features: [...feats].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.packets - a.packets || Math.abs(b.maxSigma) - Math.abs(a.maxSigma)).slice(0, top),
    verdicts: [...verdicts.values()].sort((a, b) => b.packets - a.packets).slice(0, top),
  };
}
