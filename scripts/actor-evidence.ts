/**
 * Evidence per actor: the alert decision as an accumulation of the model's per-packet surprise
 * per host over time (issue "Alerts that hold on a network the recipe was never tuned on").
 *
 * - A packet's surprise is how rare its own score is among the benign packets of the user's
 *   held-out time (the model's calibration): −log10 of the share of those that scored at least
 *   as high, so 1 = the top 10%, 3 = the top 0.1%. In these units a network whose benign traffic
 *   the model scores high (an unseen network) and one it scores low read the same.
 * - Every host a packet names (its source and its destination; MACs for ARP and non-IP) is an
 *   actor. An actor's evidence is a CUSUM with time decay: on each of its packets it first
 *   decays (half-life `halfLifeSeconds`), then adds surprise − `drift`, and never goes below 0.
 *   The drift is what an actor's ordinary packets may cost without adding up: a benign packet's
 *   surprise averages 0.43 whatever the actor's rate, so a server that takes part in every poll
 *   stays at 0 however busy it is, while many moderately unusual packets from one scanner,
 *   sprayer or tunnel add up. One odd packet (at most log10 of the calibration's size) stays
 *   below a level that takes several.
 * - The alert level (`AlertCalibration.level`) is chosen on the user's held-out benign time for
 *   an expected number of false incidents per day (calibrate-evidence.ts).
 */

/** A packet's surprise in decades: −log10 of the benign tail share of its score. */
export class ScoreTail {
  /** Benign calibration scores, ascending. */
  private readonly sorted: Float32Array;

  constructor(benignScores: ArrayLike<number>) {
    this.sorted = Float32Array.from(benignScores).sort();
  }

  get size(): number {
    return this.sorted.length;
  }

  /** −log10((benign scores ≥ s, plus 1) / (benign scores, plus 1)): 0 for the lowest scores, at most log10(n + 1). */
  surprise(s: number): number {
    const own = s >= 1 ? Infinity : -Math.log10(1 - s);
    const t = this.tailSurprise(s);
    if (ScoreTail.mode === 'gate') return s >= ScoreTail.gate ? t : 0;
    if (ScoreTail.mode === 'own') return own < ScoreTail.cap ? own : ScoreTail.cap;
    return ScoreTail.mode === 'tail' ? t : t < own ? t : own;
  }

  static mode: 'tail' | 'min' | 'gate' | 'own' = 'min';
  static cap = 5;
  static gate = 0.5;

  tailSurprise(s: number): number {
    const a = this.sorted;
    // first index with a[i] >= s
    let lo = 0, hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < s) lo = mid + 1; else hi = mid;
    }
    return -Math.log10((a.length - lo + 1) / (a.length + 1));
  }
}

export interface EvidenceParams {
  /** Surprise an actor's packet may have without adding evidence (decades). */
  drift: number;
  /** Half-life of an actor's evidence (seconds of capture time). */
  halfLifeSeconds: number;
}

export const EVIDENCE_DEFAULTS: EvidenceParams = { drift: 1, halfLifeSeconds: 60 };

interface Actor { level: number; ts: number }

/** Actors remembered at most; beyond it the least recently seen quarter is forgotten (a spoofed flood names millions). */
const MAX_ACTORS = 1 << 16;

export class ActorEvidence {
  private readonly actors = new Map<string, Actor>();
  /** After apply(): the actor whose evidence it returned, and the packet's surprise. */
  actor: string | null = null;
  surprise = 0;

  constructor(private readonly tail: ScoreTail, private readonly p: EvidenceParams = EVIDENCE_DEFAULTS) {}

  /** Add one packet (its hosts, time and own score); returns the higher evidence of its actors after it. */
  apply(src: string | null, dst: string | null, ts: number, score: number): number {
    const u = score >= 0 ? this.tail.surprise(score) : 0;
    this.surprise = u;
    this.actor = null;
    let best = 0;
    if (src !== null) {
      const l = this.add(src, ts, u);
      if (l >= best) { best = l; this.actor = src; }
    }
    if (dst !== null && dst !== src) {
      const l = this.add(dst, ts, u);
      if (l > best || this.actor === null) { best = l; this.actor = dst; }
    }
    return best;
  }

  /** An actor's current evidence, decayed to `ts` (0 when unknown). */
  level(actor: string, ts: number): number {
    const a = this.actors.get(actor);
    return a === undefined ? 0 : a.level * Math.pow(2, -Math.max(0, ts - a.ts) / this.p.halfLifeSeconds);
  }

  private add(key: string, ts: number, u: number): number {
    let a = this.actors.get(key);
    if (a === undefined) {
      if (this.actors.size >= MAX_ACTORS) {
        let n = MAX_ACTORS >> 2;
        for (const k of this.actors.keys()) {
          if (n-- <= 0) break;
          this.actors.delete(k);
        }
      }
      a = { level: 0, ts };
    } else {
      this.actors.delete(key); // re-inserted last: Map order stays "least recently seen first"
    }
    const decayed = a.level * Math.pow(2, -Math.max(0, ts - a.ts) / this.p.halfLifeSeconds);
    a.level = Math.max(0, decayed + u - this.p.drift);
    if (ts > a.ts) a.ts = ts;
    this.actors.set(key, a);
    return a.level;
  }
}
