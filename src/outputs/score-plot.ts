import { writeFileSync } from 'node:fs';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';

export interface ScorePoint {
  ts: number;
  score: number;
}

export interface ScorePlotOptions {
  title?: string;
  /** Most points drawn; more are reduced to the max per time bucket. */
  maxPoints?: number;
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 24, top: 44, bottom: 56 };
const TIME_STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
  10800, 21600, 43200, 86400, 172800, 604800,
];

/** Up to this many plotted points each get a dot of their own (a line alone hides one point). */
const DOT_EACH_UNTIL = 400;
/** An incident band is at least this wide (px), so a one-packet incident stays visible. */
const MIN_BAND = 6;

/**
 * Score-over-time chart as a hand-written SVG (no plotting dependency): score line, a dot per
 * packet on short captures, a red dot on every flagged point (score ≥ threshold) at any length,
 * dashed threshold, shaded incident spans, UTC time axis. SVG only: a PNG would need a rasterizer
 * (cairo/sharp/resvg), a native dependency this project does not carry; browsers and
 * `rsvg-convert` open the SVG.
 */
export function writeScorePlot(
  path: string,
  points: ScorePoint[],
  threshold: number,
  incidents: { startTs: number; endTs: number }[],
  options: ScorePlotOptions = {},
): void {
  const svg = renderScorePlot(points, threshold, incidents, options);
  try {
    writeFileSync(path, svg);
  } catch (e) {
    throw new LlnError('LLN_E_OUTPUT', `cannot write ${path}: ${describeFsError(e)}; choose another path for the plot`, { cause: e });
  }
}

/**
 * At most maxPoints points: the time range is cut into maxPoints equal buckets and each keeps its
 * highest score, so a short spike survives the reduction (an average would hide it).
 */
export function downsampleMax(points: ScorePoint[], maxPoints: number): ScorePoint[] {
  if (points.length <= maxPoints) return [...points].sort((a, b) => a.ts - b.ts);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const p of points) {
    if (p.ts < t0) t0 = p.ts;
    if (p.ts > t1) t1 = p.ts;
  }
  const width = (t1 - t0) / maxPoints || 1;
  const best: (ScorePoint | undefined)[] = new Array(maxPoints);
  for (const p of points) {
    const k = Math.min(maxPoints - 1, Math.floor((p.ts - t0) / width));
    const cur = best[k];
    if (cur === undefined || p.score > cur.score) best[k] = p;
  }
  return best.filter((p): p is ScorePoint => p !== undefined);
}

export function renderScorePlot(
  points: ScorePoint[],
  threshold: number,
  incidents: { startTs: number; endTs: number }[],
  options: ScorePlotOptions = {},
): string {
  const W = options.width ?? 1200;
  const H = options.height ?? 420;
  const pw = W - MARGIN.left - MARGIN.right;
  const ph = H - MARGIN.top - MARGIN.bottom;
  const pts = downsampleMax(points, options.maxPoints ?? 4000);
  // The axis spans the input, not the kept points (a bucket's max need not be its first point).
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const p of points) {
    if (p.ts < t0) t0 = p.ts;
    if (p.ts > t1) t1 = p.ts;
  }
  if (points.length === 0) (t0 = 0), (t1 = 1);
  if (t1 <= t0) {
    t0 -= 0.5;
    t1 += 0.5;
  }
  let yMax = Math.max(1, threshold);
  for (const p of pts) if (p.score > yMax) yMax = p.score;
  const x = (t: number): number => MARGIN.left + ((t - t0) / (t1 - t0)) * pw;
  const y = (s: number): number => MARGIN.top + ph - (Math.max(0, s) / yMax) * ph;
  const f = (v: number): string => v.toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const title = options.title ?? `Anomaly score per packet (${points.length} packets, ${incidents.length} incidents)`;
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`);

  for (const inc of incidents) {
    let a = x(inc.startTs);
    let b = x(inc.endTs);
    if (b - a < MIN_BAND) {
      const mid = (a + b) / 2;
      a = mid - MIN_BAND / 2;
      b = mid + MIN_BAND / 2;
    }
    a = Math.max(MARGIN.left, a);
    b = Math.min(MARGIN.left + pw, b);
    if (b <= a) continue;
    out.push(`<rect class="incident" x="${f(a)}" y="${MARGIN.top}" width="${f(b - a)}" height="${ph}" fill="#e8505b" fill-opacity="0.18"/>`);
  }

  // Axes and grid.
  out.push(`<g stroke="#888" stroke-width="1">`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + ph}" x2="${MARGIN.left + pw}" y2="${MARGIN.top + ph}"/>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + ph}"/>`);
  out.push(`</g>`);
  const yStep = yMax <= 1 ? 0.25 : niceStep(yMax / 4);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${MARGIN.left}" y1="${f(y(v))}" x2="${MARGIN.left + pw}" y2="${f(y(v))}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${+v.toFixed(3)}</text>`);
  }
  const span = t1 - t0;
  const step = TIME_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / 86400) * 86400;
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    out.push(`<line x1="${f(x(t))}" y1="${MARGIN.top + ph}" x2="${f(x(t))}" y2="${MARGIN.top + ph + 5}" stroke="#888"/>`);
    out.push(`<text class="tick" x="${f(x(t))}" y="${MARGIN.top + ph + 18}" text-anchor="middle">${timeLabel(t, step, span)}</text>`);
  }
  const startIso = new Date(t0 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  out.push(`<text x="${MARGIN.left + pw / 2}" y="${H - 10}" text-anchor="middle">time (UTC), from ${startIso}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">score</text>`);

  if (pts.length > 0) {
    const coords = pts.map((p) => `${f(x(p.ts))},${f(y(p.score))}`).join(' ');
    out.push(`<polyline class="score" fill="none" stroke="#1f77b4" stroke-width="1" points="${coords}"/>`);
    // The downsampling keeps each bucket's max, so a bucket holding a flagged packet keeps a flagged point.
    const dots: string[] = [];
    for (const p of pts) {
      const flagged = p.score >= threshold;
      if (!flagged && pts.length > DOT_EACH_UNTIL) continue;
      const style = flagged ? 'class="flagged" r="3.5" fill="#d62728"' : 'class="point" r="2" fill="#1f77b4"';
      dots.push(`<circle ${style} cx="${f(x(p.ts))}" cy="${f(y(p.score))}"/>`);
    }
    out.push(...dots);
  }
  const ty = f(y(threshold));
  out.push(`<line class="threshold" x1="${MARGIN.left}" y1="${ty}" x2="${MARGIN.left + pw}" y2="${ty}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${MARGIN.left + pw - 4}" y="${f(y(threshold) - 5)}" text-anchor="end" fill="#d62728">threshold ${+threshold.toFixed(4)}</text>`);
  out.push(`</svg>\n`);
  return out.join('\n');
}

function timeLabel(t: number, step: number, span: number): string {
  const iso = new Date(Math.round(t * 1000)).toISOString(); // 2024-01-02T03:04:05.678Z
  if (span >= 2 * 86400) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  if (step < 1) return iso.slice(11, 23);
  return iso.slice(11, 19);
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
