import { writeFileSync } from 'node:fs';
import { LlnError } from '../errors';
import { describeFsError } from './output-check';

export interface ScorePoint {
  ts: number;
  score: number;
}

/** An incident as the plot marks it: its time span and the id the summary table and the DB give it. */
export interface PlotIncident {
  startTs: number;
  endTs: number;
  id?: number;
}

export interface ScorePlotOptions {
  title?: string;
  /** Kept for callers of downsampleMax; the chart itself bins by time. */
  maxPoints?: number;
  width?: number;
  /** Incidents in the run, when the plot is given only some of them (the highest scoring). */
  totalIncidents?: number;
}

/** One time bin holding at least one packet: [start, end), its highest score and that packet's time. */
export interface ScoreBin {
  k: number;
  start: number;
  end: number;
  max: number;
  ts: number;
}

const LEFT = 64;
const RIGHT = 24;
/** Plot-area top of the main panel: title, subtitle and the row of incident marks sit above it. */
const MAIN_TOP = 96;
const MAIN_HEIGHT = 300;
const DETAIL_HEIGHT = 200;
/** Below a panel: tick labels, then the axis title. */
const AXIS_ROOM = 48;
const TIME_STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
  10800, 21600, 43200, 86400, 172800, 604800,
];
/** About this many pixels per time bin. */
const PX_PER_BIN = 3;
/** Up to this many packets each get a dot of their own. */
const DOT_EACH_UNTIL = 400;
/** An incident band is at least this wide (px), so a one-packet incident stays visible. */
const MIN_BAND = 6;
/** A detail panel is drawn when every marked incident lies within this share of the time axis. */
const DETAIL_SHARE = 1 / 20;

const BLUE = '#1f77b4';
const RED = '#d62728';

/**
 * Score-over-time chart as a hand-written SVG (no plotting dependency, nothing native): time is
 * cut into bins of a round width and each bin holding packets is drawn as a bar to its highest
 * score; a bin without packets stays blank, so nothing is drawn across a gap in the traffic.
 * Red dots: flagged packets (score ≥ threshold; one per bin on a long capture, every one on a
 * short one). Each incident is a shaded band with its id in a numbered mark above the plot
 * (marks that would overlap are spread and joined to their time by a line). When every
 * incident lies within a small part of a long capture, a second panel shows that part in detail.
 * SVG only: browsers and `rsvg-convert` open it.
 */
export function writeScorePlot(path: string, points: ScorePoint[], threshold: number, incidents: PlotIncident[], options: ScorePlotOptions = {}): void {
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

/** The smallest round bin width (1 ms … 1 week) that cuts span into at most maxBins bins. */
export function binWidthFor(span: number, maxBins: number): number {
  const raw = span / Math.max(1, maxBins);
  return TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 604800) * 604800;
}

/**
 * The bins of `width` seconds (aligned on multiples of width) that hold at least one point in
 * [t0, t1], in time order: empty bins are absent, so a caller cannot draw across them.
 */
export function binScores(points: ScorePoint[], t0: number, t1: number, width: number): ScoreBin[] {
  const bins = new Map<number, ScoreBin>();
  for (const p of points) {
    if (p.ts < t0 || p.ts > t1) continue;
    const k = Math.floor(p.ts / width);
    const b = bins.get(k);
    if (!b) bins.set(k, { k, start: k * width, end: (k + 1) * width, max: p.score, ts: p.ts });
    else if (p.score > b.max) (b.max = p.score), (b.ts = p.ts);
  }
  return [...bins.values()].sort((a, b) => a.k - b.k);
}

/**
 * Positions for marks of width `gap` wanted at `ideal` (sorted): as close to their wish as they
 * can be without overlapping, inside [lo, hi] (pushed right, then back left from the right edge).
 */
export function spreadMarks(ideal: number[], gap: number, lo: number, hi: number): number[] {
  const n = ideal.length;
  if (n === 0) return [];
  const g = Math.min(gap, n > 1 ? (hi - lo) / (n - 1) : gap);
  const pos = ideal.map((v) => Math.min(hi, Math.max(lo, v)));
  for (let i = 1; i < n; i++) pos[i] = Math.max(pos[i]!, pos[i - 1]! + g);
  if (pos[n - 1]! > hi) {
    pos[n - 1] = hi;
    for (let i = n - 2; i >= 0; i--) pos[i] = Math.min(pos[i]!, pos[i + 1]! - g);
  }
  return pos;
}

interface Panel {
  t0: number;
  t1: number;
  top: number;
  height: number;
}

export function renderScorePlot(points: ScorePoint[], threshold: number, incidents: PlotIncident[], options: ScorePlotOptions = {}): string {
  const W = options.width ?? 1200;
  const pw = W - LEFT - RIGHT;
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
  for (const p of points) if (p.score > yMax) yMax = p.score;
  const marked = [...incidents].sort((a, b) => a.startTs - b.startTs || a.endTs - b.endTs);

  const main: Panel = { t0, t1, top: MAIN_TOP, height: MAIN_HEIGHT };
  const detail = detailRange(marked, t0, t1);
  const detailPanel: Panel | null = detail ? { t0: detail.from, t1: detail.to, top: MAIN_TOP + MAIN_HEIGHT + AXIS_ROOM + 76, height: DETAIL_HEIGHT } : null;
  const H = (detailPanel ? detailPanel.top + detailPanel.height : MAIN_TOP + MAIN_HEIGHT) + AXIS_ROOM;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const total = options.totalIncidents ?? incidents.length;
  const title = options.title ?? `Anomaly score per packet (${points.length} packets, ${total} incidents)`;
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`);
  const width = binWidthFor(t1 - t0, pw / PX_PER_BIN);
  const notes = [`bars: the highest score in each ${duration(width)} of time (blank: no packets)`, points.length <= DOT_EACH_UNTIL ? 'dots: packets (red: flagged)' : 'red dots: a flagged packet in that bar', `dashed: the threshold ${+threshold.toFixed(4)}`];
  if (total > 0) notes.push(total > marked.length ? `numbered: the ${marked.length} highest-scoring of ${total} incidents` : `numbered: the ${total} incident${total === 1 ? '' : 's'}`);
  out.push(`<text class="subtitle" x="${W / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${escapeXml(notes.join('; '))}</text>`);

  out.push(...drawPanel('main', main, pw, points, threshold, marked, yMax, width));
  if (detailPanel) {
    const dw = binWidthFor(detailPanel.t1 - detailPanel.t0, pw / PX_PER_BIN);
    const inside = points.filter((p) => p.ts >= detailPanel.t0 && p.ts <= detailPanel.t1);
    const label = `detail: ${clock(detailPanel.t0)} to ${clock(detailPanel.t1)} UTC, where ${marked.length === 1 ? 'the incident is' : detail!.count === marked.length ? `all ${marked.length} marked incidents are` : `${detail!.count} of the ${marked.length} marked incidents are`} (bars: ${duration(dw)})`;
    out.push(`<text class="detail-title" x="${W / 2}" y="${detailPanel.top - 50}" text-anchor="middle" font-size="13">${escapeXml(label)}</text>`);
    out.push(...drawPanel('detail', detailPanel, pw, inside, threshold, marked, yMax, dw));
  }
  out.push(`</svg>\n`);
  return out.join('\n');
}

/**
 * The part of [t0, t1] to show in detail: the most incidents that fit in a window of a
 * DETAIL_SHARE of the axis (padded), when that is all of them or at least two; else null.
 */
export function detailRange(marked: PlotIncident[], t0: number, t1: number): { from: number; to: number; count: number } | null {
  if (marked.length === 0) return null;
  const span = t1 - t0;
  const byStart = [...marked].sort((a, b) => a.startTs - b.startTs);
  let best = { i: 0, j: 0, count: 0 };
  for (let i = 0; i < byStart.length; i++) {
    let end = -Infinity;
    let j = i;
    while (j < byStart.length && Math.max(end, byStart[j]!.endTs) - byStart[i]!.startTs <= span * DETAIL_SHARE) end = Math.max(end, byStart[j++]!.endTs);
    if (j - i > best.count) best = { i, j, count: j - i };
  }
  if (best.count === 0 || (best.count < 2 && marked.length > 1)) return null;
  const group = byStart.slice(best.i, best.j);
  const c0 = group[0]!.startTs;
  const c1 = Math.max(...group.map((g) => g.endTs));
  const pad = Math.max((c1 - c0) * 0.25, span / 2000, 1);
  const from = Math.max(t0, c0 - pad);
  const to = Math.min(t1, c1 + pad);
  return to - from < span / 4 ? { from, to, count: best.count } : null;
}

function drawPanel(cls: string, p: Panel, pw: number, points: ScorePoint[], threshold: number, marked: PlotIncident[], yMax: number, width: number): string[] {
  const { t0, t1, top, height: ph } = p;
  const x = (t: number): number => LEFT + ((t - t0) / (t1 - t0)) * pw;
  const y = (s: number): number => top + ph - (Math.max(0, s) / yMax) * ph;
  const base = top + ph;
  const out: string[] = [`<g class="panel-${cls}">`];

  // Incidents: a band each, and above the plot a numbered mark each, spread so none hides another.
  const bands = marked.filter((i) => i.endTs >= t0 && i.startTs <= t1);
  const centres: number[] = [];
  for (const inc of bands) {
    let a = x(Math.max(t0, inc.startTs));
    let b = x(Math.min(t1, inc.endTs));
    if (b - a < MIN_BAND) {
      const mid = (a + b) / 2;
      a = mid - MIN_BAND / 2;
      b = mid + MIN_BAND / 2;
    }
    a = Math.max(LEFT, a);
    b = Math.min(LEFT + pw, b);
    centres.push((a + b) / 2);
    out.push(`<rect class="incident" x="${f(a)}" y="${top}" width="${f(b - a)}" height="${ph}" fill="${RED}" fill-opacity="0.12" stroke="${RED}" stroke-opacity="0.45" stroke-width="0.8"/>`);
  }
  const labels = bands.map((inc, i) => (inc.id === undefined ? String(i + 1) : String(inc.id)));
  const markW = Math.max(16, ...labels.map((l) => 8 + 7 * l.length));
  const order = centres.map((c, i) => i).sort((a, b) => centres[a]! - centres[b]!);
  const placed = spreadMarks(order.map((i) => centres[i]!), markW + 3, LEFT + markW / 2, LEFT + pw - markW / 2);
  const markY = top - 30;
  order.forEach((i, k) => {
    const mx = placed[k]!;
    out.push(`<line class="leader" x1="${f(mx)}" y1="${markY + 8}" x2="${f(centres[i]!)}" y2="${top}" stroke="${RED}" stroke-opacity="0.6"/>`);
    out.push(`<rect class="incident-mark" x="${f(mx - markW / 2)}" y="${markY - 8}" width="${markW}" height="16" rx="4" fill="${RED}"/>`);
    out.push(`<text class="incident-id" x="${f(mx)}" y="${markY + 4}" text-anchor="middle" font-size="11" fill="white">${escapeXml(labels[i]!)}</text>`);
  });

  // Axes and grid.
  out.push(`<line x1="${LEFT}" y1="${base}" x2="${LEFT + pw}" y2="${base}" stroke="#888"/>`);
  out.push(`<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${base}" stroke="#888"/>`);
  const yStep = yMax <= 1 ? 0.25 : niceStep(yMax / 4);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${LEFT}" y1="${f(y(v))}" x2="${LEFT + pw}" y2="${f(y(v))}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 6}" y="${f(y(v) + 4)}" text-anchor="end">${+v.toFixed(3)}</text>`);
  }
  const span = t1 - t0;
  const step = TIME_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / 86400) * 86400;
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    out.push(`<line x1="${f(x(t))}" y1="${base}" x2="${f(x(t))}" y2="${base + 5}" stroke="#888"/>`);
    out.push(`<text class="tick" x="${f(x(t))}" y="${base + 18}" text-anchor="middle">${timeLabel(t, step, span)}</text>`);
  }
  out.push(`<text x="${LEFT + pw / 2}" y="${base + 38}" text-anchor="middle">time (UTC), from ${new Date(t0 * 1000).toISOString().replace(/\.\d+Z$/, 'Z')}</text>`);
  out.push(`<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle">score</text>`);

  // Bars: one closed step outline per run of adjacent bins that hold packets.
  const bins = binScores(points, t0, t1, width);
  const xb = (t: number): number => x(Math.min(t1, Math.max(t0, t)));
  let run: ScoreBin[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    let d = `M${f(xb(run[0]!.start))} ${f(base)}`;
    for (const b of run) d += ` V${f(y(b.max))} H${f(Math.max(xb(b.end), xb(b.start) + 1))}`;
    d += ` V${f(base)} Z`;
    out.push(`<path class="score" d="${d}" fill="${BLUE}" fill-opacity="0.35" stroke="${BLUE}" stroke-width="1"/>`);
    run = [];
  };
  for (const b of bins) {
    if (run.length > 0 && b.k !== run[run.length - 1]!.k + 1) flush();
    run.push(b);
  }
  flush();

  // Dots: every packet of a short capture; on a long one, each bin's highest score when flagged.
  if (points.length <= DOT_EACH_UNTIL) {
    for (const q of points) {
      const style = q.score >= threshold ? `class="flagged" r="3.5" fill="${RED}"` : `class="point" r="2" fill="${BLUE}"`;
      out.push(`<circle ${style} cx="${f(x(q.ts))}" cy="${f(y(q.score))}"/>`);
    }
  } else {
    for (const b of bins) if (b.max >= threshold) out.push(`<circle class="flagged" r="3.5" fill="${RED}" cx="${f(x(b.ts))}" cy="${f(y(b.max))}"/>`);
  }
  const ty = y(threshold);
  out.push(`<line class="threshold" x1="${LEFT}" y1="${f(ty)}" x2="${LEFT + pw}" y2="${f(ty)}" stroke="${RED}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push('</g>');
  return out;
}

const f = (v: number): string => v.toFixed(1);

function duration(s: number): string {
  if (s < 1) return `${+(s * 1000).toFixed(3)} ms`;
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${s / 60} min`;
  if (s < 86400) return `${s / 3600} h`;
  return `${s / 86400} d`;
}

function clock(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString().slice(11, 19);
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
