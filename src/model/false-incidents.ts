/** A threshold in false incidents: what training measured and promises (threshold.json `falseIncidents`). */

/**
 * The threshold in an operator's units: the incidents (the replay's grouping) the held-out benign
 * packets of the captures raise at it, over how much capture time. `perDay` is count / time; with
 * few or none, `perDayAtMost` is the 95% upper bound (Poisson: 3 / time with none), which is what
 * a short held-out part can promise (17 s of a dense LAN: at most ~15,000 a day).
 */
export interface FalseIncidents { count: number; heldOutSeconds: number; perDay: number; perDayAtMost: number }

/** The 95% upper confidence bound of a Poisson mean after `n` events (3.0 for none; normal approximation with continuity beyond). */
export function poissonUpper95(n: number): number {
  const exact = [3.0, 4.74, 6.3, 7.75, 9.15, 10.51];
  return n < exact.length ? exact[n] : n + 1.645 * Math.sqrt(n + 1) + 1;
}

/** "threshold 0.9999: 0 false incidents in 7.2 h of held-out traffic (at most 10 a day, 95%)". */
export function promiseLine(value: number, f: FalseIncidents): string {
  const span = f.heldOutSeconds >= 3600 ? `${(f.heldOutSeconds / 3600).toFixed(1)} h` : f.heldOutSeconds >= 60 ? `${(f.heldOutSeconds / 60).toFixed(1)} min` : `${f.heldOutSeconds.toFixed(0)} s`;
  const rate = f.count > 0 ? `${f.perDay.toFixed(1)} a day; at most ${f.perDayAtMost.toFixed(1)}` : `at most ${f.perDayAtMost.toFixed(1)} a day`;
  return `threshold ${value.toFixed(4)}: ${f.count} false incident${f.count === 1 ? '' : 's'} in ${span} of held-out benign traffic (${rate}, 95%)`;
}
