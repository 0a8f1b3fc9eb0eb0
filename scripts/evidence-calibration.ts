import { ActorEvidence, ScoreTail, type EvidenceParams } from './actor-evidence';

/** The held-out benign packets a level is calibrated on: per packet its hosts, time and own score. */
export interface CalibrationPackets {
  length: number;
  src(i: number): string | null;
  dst(i: number): string | null;
  ts(i: number): number;
  score(i: number): number;
}

export interface LevelCalibration {
  /** The alert level: an actor's evidence at or above it raises an incident. */
  level: number;
  /** Expected false incidents per day at that level on the calibration time (the promise). */
  falseIncidentsPerDay: number;
  /** Seconds of held-out benign time it was calibrated on, and its excursions (an actor's evidence leaving 0 and coming back). */
  spanSeconds: number;
  excursions: number;
  /** Excursions whose peak reached the level in the calibration time itself. */
  excursionsAtLevel: number;
  /** The lowest level any level may be: what one packet can add, twice (one odd packet never raises an incident). */
  minimum: number;
  /** The exponential tail fitted to the highest excursion peaks: the level where the fit starts, and its scale. */
  tailFrom: number;
  tailScale: number;
}

/** Excursion peaks fitted at most (the highest ones: the tail is what extrapolates). */
const TAIL_PEAKS = 50;

/**
 * Chooses the alert level for `targetPerDay` expected false incidents per day on held-out benign
 * traffic. Each actor's evidence on that traffic rises from 0 and falls back to 0 in excursions;
 * an incident is an excursion whose peak reaches the level. The peaks' upper tail is fitted with
 * an exponential (the CUSUM's excursion peaks have one: the rate of reaching h falls as e^(−h/β)),
 * from the highest TAIL_PEAKS: rate(h) = rate(h0)·e^(−(h − h0)/β), β the mean excess over h0
 * (its maximum-likelihood estimate). So a calibration time much shorter than a day (a dense
 * network's 17 s) still gives a level for a rate per day, by extrapolating along the tail, and a
 * long one is measured rather than extrapolated where it holds enough excursions.
 */
export function calibrateLevel(packets: CalibrationPackets, tail: ScoreTail, params: EvidenceParams, targetPerDay: number): LevelCalibration {
  const peaks = excursionPeaks(packets, tail, params);
  const span = packets.length > 1 ? Math.max(1, packets.ts(packets.length - 1) - packets.ts(0)) : 1;
  const days = span / 86400;
  const minimum = 2 * Math.max(0, Math.log10(tail.size + 1) - params.drift);
  peaks.sort((a, b) => b - a);
  const top = peaks.slice(0, TAIL_PEAKS);
  let level: number, tailFrom = 0, tailScale = 0;
  if (top.length < 2) {
    level = minimum;
  } else {
    tailFrom = top[top.length - 1];
    const excess = top.slice(0, -1).reduce((s, p) => s + (p - tailFrom), 0) / (top.length - 1);
    tailScale = Math.max(excess, 1e-6);
    const rateFrom = top.length / days; // excursions per day reaching tailFrom
    level = tailFrom + tailScale * Math.log(Math.max(1, rateFrom / targetPerDay));
  }
  level = Math.max(level, minimum);
  const rate = top.length < 2 ? 0 : (top.length / days) * Math.exp(-(level - tailFrom) / tailScale);
  return {
    level, falseIncidentsPerDay: Math.min(rate, targetPerDay), spanSeconds: span, excursions: peaks.length,
    excursionsAtLevel: peaks.filter((p) => p >= level).length, minimum, tailFrom, tailScale,
  };
}

/** Every actor excursion's peak evidence on the packets, in order of their ending. */
export function excursionPeaks(packets: CalibrationPackets, tail: ScoreTail, params: EvidenceParams): number[] {
  const ev = new ActorEvidence(tail, params);
  const open = new Map<string, number>();
  const peaks: number[] = [];
  for (let i = 0; i < packets.length; i++) {
    const ts = packets.ts(i);
    const src = packets.src(i);
    const dst = packets.dst(i);
    ev.apply(src, dst, ts, packets.score(i));
    for (const a of [src, dst]) {
      if (a === null) continue;
      const l = ev.level(a, ts);
      const peak = open.get(a);
      if (l <= 0) {
        if (peak !== undefined) { peaks.push(peak); open.delete(a); }
      } else if (peak === undefined || l > peak) open.set(a, l);
    }
  }
  for (const p of open.values()) peaks.push(p);
  return peaks;
}
