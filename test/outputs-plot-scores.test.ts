import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { binScores, binWidthFor, detailRange, downsampleMax, renderScorePlot, spreadMarks, writeScorePlot, type ScorePoint } from '../src/outputs/score-plot';
import { ScoresCsvWriter, fixed6 } from '../src/outputs/scores-csv';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-plot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1714557600;

function series(n: number): ScorePoint[] {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => ({ ts: T0 + i * 0.01, score: rnd() * 0.3 }));
}

test('downsampleMax keeps at most N points, each the max of its time bucket, so spikes survive', () => {
  const pts = series(100_000);
  pts[54_321].score = 0.999;
  const out = downsampleMax(pts, 4000);
  assert.ok(out.length <= 4000 && out.length > 3900, String(out.length));
  assert.ok(out.some((p) => p.score === 0.999), 'spike kept');
  for (let i = 1; i < out.length; i++) assert.ok(out[i].ts > out[i - 1].ts, 'time order');
  // Brute force: every input point is <= the kept point of its bucket.
  const t1 = pts[pts.length - 1].ts;
  const width = (t1 - T0) / 4000;
  const kept = new Map(out.map((p) => [Math.min(3999, Math.floor((p.ts - T0) / width)), p.score]));
  for (const p of pts) assert.ok(p.score <= kept.get(Math.min(3999, Math.floor((p.ts - T0) / width)))!);
  assert.equal(downsampleMax(pts.slice(0, 10), 4000).length, 10);
});

test('score plot SVG: line, dashed threshold at the right height, shaded incidents, time labels, escaped title', () => {
  const p = path.join(dir, 'scores.svg');
  const pts = series(20_000); // 200 s
  writeScorePlot(p, pts, 0.8, [{ startTs: T0 + 50, endTs: T0 + 60 }, { startTs: T0 + 120, endTs: T0 + 120 }], { title: 'run <1> & "x"' });
  const svg = readFileSync(p, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\s*$/);
  assert.match(svg, /run &lt;1&gt; &amp; &quot;x&quot;/);
  // 200 s in bins of 1 s (the round width that gives at most ~370 bins): no gap, one outline.
  const outlines = [...svg.matchAll(/<path class="score"[^>]* d="([^"]+)"/g)];
  assert.equal(outlines.length, 1);
  assert.equal((outlines[0]![1]!.match(/H/g) ?? []).length, 200, 'a step across per bin');
  const thr = svg.match(/<line class="threshold" x1="[\d.]+" y1="([\d.]+)"[^>]*stroke-dasharray/);
  assert.ok(thr, 'dashed threshold line');
  // Plot area: top 96, height 300, y range 0..1: y(0.8) = 96 + 300 * 0.2 = 156.
  assert.equal(Number(thr[1]), 156);
  assert.equal((svg.match(/class="incident"/g) ?? []).length, 2);
  const ticks = [...svg.matchAll(/<text class="tick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.ok(ticks.length >= 4 && ticks.length <= 9, ticks.join(' '));
  for (const t of ticks) assert.match(t, /^\d\d:\d\d:\d\d$/);
  assert.equal(ticks[0], new Date(Math.ceil(T0 / 30) * 30 * 1000).toISOString().slice(11, 19));
});

test('scores CSV: exactly frame,timestamp,score, one row per packet, values round-trip', () => {
  const p = path.join(dir, 'scores.csv');
  const w = new ScoresCsvWriter(p);
  const N = 50_000;
  const frames = new Float64Array(N);
  const ts = new Float64Array(N);
  const scores = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    frames[i] = i + 1;
    ts[i] = T0 + i * 0.000123;
    scores[i] = (i % 1000) / 1000;
  }
  // 50k rows cross several 1 MB buffer flushes; -1 (no window scored) is a legal score too.
  scores[N - 1] = -1;
  for (let i = 0; i < N; i++) w.write(frames[i], ts[i], scores[i]);
  assert.equal(w.rows(), N);
  w.close();
  const lines = readFileSync(p, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'frame,timestamp,score');
  assert.equal(lines.length, N + 1);
  for (let i = 0; i < N; i++) {
    const [f, t, s] = lines[i + 1].split(',');
    assert.equal(Number(f), i + 1);
    assert.ok(Math.abs(Number(t) - ts[i]) < 1e-6, `${t} vs ${ts[i]}`);
    assert.ok(Math.abs(Number(s) - scores[i]) < 1e-6);
    assert.match(t, /^\d+\.\d{6}$/);
  }
});

test('fixed6 formats like toFixed(6) (exact half-way cases may differ by one in the last digit)', () => {
  assert.ok(Math.abs(Number(fixed6(0.0000005)) - 0.0000005) <= 5e-7);
  for (const v of [0, 1, 0.5, 0.0000004, 0.9999996, 1714557600.123456, 1714557600.999999, 0.1 + 0.2, -1.5, NaN, 12345678901234, 1e16]) {
    assert.equal(Number(fixed6(v)).toFixed(6), v.toFixed(6), String(v));
  }
  assert.equal(fixed6(0.9999996), '1.000000');
  assert.equal(fixed6(3.000007), '3.000007');
});

function circles(svg: string, cls: string): { cx: number; cy: number }[] {
  return [...svg.matchAll(new RegExp(`<circle class="${cls}"[^>]* cx="([\\d.]+)" cy="([\\d.]+)"`, 'g'))].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]) }));
}

test('score plot of one packet: a visible dot, a flagged dot when it is over the threshold, a band wider than a hairline', () => {
  const one = [{ ts: T0, score: 0.62 }];
  const flagged = renderScorePlot(one, 0.5, [{ startTs: T0, endTs: T0 }]);
  assert.equal(circles(flagged, 'flagged').length, 1);
  // Plot area x 64..1176: the one packet sits in the middle; y(0.62) = 96 + 300 * 0.38.
  assert.deepEqual(circles(flagged, 'flagged')[0], { cx: 620, cy: 210 });
  const band = flagged.match(/<rect class="incident" x="([\d.]+)"[^>]* width="([\d.]+)"/);
  assert.ok(band, 'incident band');
  assert.ok(Number(band[2]) >= 6, `band width ${band[2]}`);
  assert.ok(Number(band[1]) < 620 && Number(band[1]) + Number(band[2]) > 620, 'band around the packet');
  const quiet = renderScorePlot(one, 0.9, []);
  assert.equal(circles(quiet, 'flagged').length, 0);
  assert.equal(circles(quiet, 'point').length, 1);
});

test('score plot: every packet of a short capture is a dot; every flagged packet of a long one is a red dot', () => {
  const short = series(50);
  short[10].score = 0.95;
  const s = renderScorePlot(short, 0.8, []);
  assert.equal(circles(s, 'point').length + circles(s, 'flagged').length, 50);
  assert.equal(circles(s, 'flagged').length, 1);

  const long = series(200_000);
  const hot = [17, 90_001, 90_002, 199_999];
  for (const i of hot) long[i].score = 0.9;
  const l = renderScorePlot(long, 0.8, []);
  assert.equal(circles(l, 'point').length, 0, 'no dot per point on a long capture');
  const red = circles(l, 'flagged');
  // 90_001 and 90_002 are 0.01 s apart: one time bin, one dot.
  assert.equal(red.length, 3);
  const x = (ts: number): number => 64 + ((ts - T0) / (long[long.length - 1].ts - T0)) * 1112;
  for (const i of [17, 90_001, 199_999]) assert.ok(red.some((d) => Math.abs(d.cx - x(long[i].ts)) < 1), `flagged packet ${i} drawn`);
});

/**
 * The x coordinates of every shape drawn for the score, in drawing order: a polyline's points, or
 * a path's M/H/L x values (V moves only vertically). One array per shape.
 */
function scoreShapes(svg: string): number[][] {
  const shapes: number[][] = [];
  for (const m of svg.matchAll(/<polyline class="score"[^>]* points="([^"]+)"/g)) shapes.push(m[1]!.split(' ').map((c) => Number(c.split(',')[0])));
  for (const m of svg.matchAll(/<path class="score"[^>]* d="([^"]+)"/g)) {
    const xs: number[] = [];
    for (const c of m[1]!.matchAll(/([MHLV])([\d.]+)/g)) if (c[1] !== 'V') xs.push(Number(c[2]));
    shapes.push(xs);
  }
  return shapes;
}

test('score plot: nothing is drawn across a stretch of time without packets (no ramp over a gap)', () => {
  // Busy for 10 s, silent for 40 s, busy again: the silence must stay blank.
  const busy = (from: number): ScorePoint[] => Array.from({ length: 500 }, (_, i) => ({ ts: T0 + from + i * 0.02, score: from === 0 ? 0.05 : 0.99 }));
  const pts = [...busy(0), ...busy(50)];
  const svg = renderScorePlot(pts, 0.9, [{ startTs: T0 + 50, endTs: T0 + 60, id: 1 }]);
  const x = (ts: number): number => 64 + ((ts - T0) / (pts[pts.length - 1]!.ts - T0)) * 1112;
  const gapFrom = x(T0 + 11), gapTo = x(T0 + 49);
  const shapes = scoreShapes(svg);
  for (const xs of shapes) {
    assert.ok(!(Math.min(...xs) < gapFrom && Math.max(...xs) > gapTo), `a shape spans the empty 11 s–49 s: ${xs.slice(0, 6).join(' ')} …`);
    for (const v of xs) assert.ok(v <= gapFrom || v >= gapTo, `a point at x ${v} inside the gap`);
  }
  assert.ok(shapes.length >= 2, 'the two busy stretches are drawn');
  // The bins: only those holding packets, each the max of its packets.
  const bins = binScores(pts, T0, T0 + 60, 1);
  assert.equal(bins.length, 20);
  assert.ok(bins.every((b) => b.end <= T0 + 10.5 || b.start >= T0 + 49.5));
  assert.equal(binWidthFor(86400, 370), 300);
  assert.equal(binWidthFor(18, 370), 0.05);
});

test('score plot of a day: incidents minutes apart each get their own mark, and a detail panel shows them apart', () => {
  // 24 h of quiet traffic; six incidents within two minutes, 14.5 h in (as in the realdata mixes).
  const pts: ScorePoint[] = [];
  for (let t = 0; t < 86400; t += 5) pts.push({ ts: T0 + t, score: 0.02 });
  const at = T0 + 14.5 * 3600;
  const incidents = [0, 15, 31, 47, 70, 100].map((d, i) => ({ startTs: at + d, endTs: at + d + 6, id: i + 1 }));
  for (const inc of incidents) for (let t = inc.startTs; t <= inc.endTs; t += 0.5) pts.push({ ts: t, score: 0.97 });
  pts.sort((a, b) => a.ts - b.ts);
  const svg = renderScorePlot(pts, 0.9, incidents);
  const marks = (panel: string): { x: number; w: number; id: string }[] => {
    const g = svg.match(new RegExp(`<g class="panel-${panel}">([\\s\\S]*?)</g>`));
    assert.ok(g, `panel ${panel}`);
    const rects = [...g[1]!.matchAll(/<rect class="incident-mark" x="([\d.]+)"[^>]* width="([\d.]+)"/g)].map((m) => ({ x: Number(m[1]), w: Number(m[2]) }));
    const ids = [...g[1]!.matchAll(/<text class="incident-id"[^>]*>(\d+)</g)].map((m) => m[1]!);
    return rects.map((r, i) => ({ ...r, id: ids[i]! }));
  };
  for (const panel of ['main', 'detail']) {
    const m = marks(panel);
    assert.deepEqual(m.map((k) => k.id).sort(), ['1', '2', '3', '4', '5', '6'], `${panel}: one mark per incident, with its id`);
    const xs = m.map((k) => k.x).sort((a, b) => a - b);
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i]! - xs[i - 1]! >= m[0]!.w, `${panel}: marks do not overlap`);
  }
  // The detail panel spreads the six bands out: their left edges are each at least 20 px apart.
  const detail = svg.match(/<g class="panel-detail">([\s\S]*?)<\/g>/)![1]!;
  const bands = [...detail.matchAll(/<rect class="incident" x="([\d.]+)"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  assert.equal(bands.length, 6);
  for (let i = 1; i < bands.length; i++) assert.ok(bands[i]! - bands[i - 1]! >= 20, bands.join(' '));
  // T0 + 14.5 h is 00:30:00 UTC; the detail panel pads the two minutes by 43 s (a 2000th of the day) each side.
  assert.match(svg, /detail: 00:29:16 to 00:32:29 UTC, where all 6 marked incidents are/);
});

test('spreadMarks: no two marks closer than the gap, each as near its wish as that allows, inside the bounds', () => {
  assert.deepEqual(spreadMarks([100, 100, 100], 20, 0, 1000), [100, 120, 140]);
  assert.deepEqual(spreadMarks([10, 500], 20, 0, 1000), [10, 500]);
  assert.deepEqual(spreadMarks([995, 995, 995], 20, 0, 1000), [960, 980, 1000]);
  assert.deepEqual(spreadMarks([], 20, 0, 1000), []);
});

test('detailRange: the part of a day where most incidents are, or none when they lie apart', () => {
  const day = 86400;
  const inc = (at: number, len = 10) => ({ startTs: T0 + at, endTs: T0 + at + len });
  // Seven within three minutes and one 11 h later (the slowloris mix): the seven, padded.
  const seven = [0, 20, 40, 60, 90, 120, 150].map((d) => inc(14.5 * 3600 + d));
  const d = detailRange([...seven, inc(25.5 * 3600 - 60)], T0, T0 + day);
  assert.ok(d);
  assert.equal(d.count, 7);
  assert.ok(d.from <= T0 + 14.5 * 3600 && d.to >= T0 + 14.5 * 3600 + 160 && d.to - d.from < 600, `${d.from - T0} ${d.to - T0}`);
  // Three incidents hours apart: each is distinct already, no detail.
  assert.equal(detailRange([inc(3600), inc(8 * 3600), inc(20 * 3600)], T0, T0 + day), null);
  // One incident on a day: its surroundings.
  assert.equal(detailRange([inc(3600)], T0, T0 + day)!.count, 1);
  // A short capture whose incident spans a good part of it: nothing to zoom into.
  assert.equal(detailRange([inc(2, 8)], T0, T0 + 18), null);
});
