import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Everything the pages load, served by the view itself (the CSP allows scripts and styles from
 * 'self' only: no inline script, no CDN). The page's own script and stylesheet live here as
 * strings rather than as files beside the code, because the Debian package compiles src/*.ts
 * and ships nothing else from src/ (scripts/build-deb.sh); uPlot comes from node_modules, which
 * the package ships.
 */
export interface Asset {
  type: string;
  body: Buffer;
}

const STYLE = `
:root { --fg: #1d2430; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; --accent: #1f5fbf; --hot: #b3261e; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
header { display: flex; gap: 24px; align-items: baseline; padding: 10px 20px; background: #16202e; color: #e9eef5; }
header .brand { font-weight: 600; font-size: 16px; }
header nav a { color: #c9d7ea; margin-right: 16px; text-decoration: none; }
header nav a.here { color: #fff; border-bottom: 2px solid #fff; }
header .source { margin-left: auto; color: #9fb0c6; font-size: 12px; }
main { padding: 14px 20px 40px; }
h1 { font-size: 18px; margin: 4px 0 12px; }
h2 { font-size: 15px; margin: 20px 0 8px; }
a { color: var(--accent); }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; padding: 10px 12px; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; margin-bottom: 10px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
form.filters input, form.filters select { font: inherit; padding: 3px 6px; border: 1px solid #b8c1cc; border-radius: 4px; min-width: 90px; }
form.filters input[name=host] { min-width: 150px; }
form.filters button { font: inherit; padding: 4px 14px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
form.filters a.reset { font-size: 12px; }
.notes { color: var(--warn); margin: 6px 0; }
.count { color: var(--muted); margin: 6px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
th { background: var(--bg); font-weight: 600; font-size: 12px; position: sticky; top: 0; }
th a { color: var(--fg); text-decoration: none; }
th a.sorted::after { content: " \\25BE"; }
th a.sorted.asc::after { content: " \\25B4"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; min-width: 220px; max-width: 520px; word-break: break-word; }
td.feat { white-space: normal; max-width: 420px; color: #333; font-size: 12px; }
tr:hover td { background: #f0f4fa; }
.score { display: inline-block; min-width: 48px; padding: 0 4px; border-radius: 3px; font-variant-numeric: tabular-nums; }
.score.high { background: #fbe4e2; color: var(--hot); font-weight: 600; }
.score.mid { background: #fff1d6; color: var(--warn); }
.tag { font-size: 11px; padding: 0 5px; border-radius: 8px; background: #e7ebf0; color: var(--muted); }
.tag.prov { background: #fff1d6; color: var(--warn); }
.tag.bad { background: #fbe4e2; color: var(--hot); }
.pager { margin: 10px 0; display: flex; gap: 12px; align-items: center; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0 0 10px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.grid2 { display: grid; grid-template-columns: minmax(340px, 1fr) minmax(340px, 1.4fr); gap: 20px; }
#timeline { min-height: 240px; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
ul.evidence { margin: 0; padding-left: 18px; }
.hostlist { max-height: 120px; overflow: auto; font-size: 12px; }
.empty { color: var(--muted); padding: 20px 0; }
pre.status { background: var(--bg); border: 1px solid var(--line); padding: 10px; border-radius: 6px; white-space: pre-wrap; }
.error { color: var(--hot); }
`;

/**
 * The page script: draws an incident's timeline with uPlot from the numbers in the chart's
 * data-points attribute (JSON, escaped as any attribute; an attribute rather than a JSON
 * <script> block, which would need its own escaping rules). Sets window.__llnUi for the tests.
 */
const SCRIPT = `
(function () {
  'use strict';
  var state = { charts: 0, errors: [] };
  window.__llnUi = state;
  function drawTimeline(el) {
    var d = JSON.parse(el.getAttribute('data-points'));
    var width = Math.max(320, el.clientWidth - 12);
    var opts = {
      width: width, height: 220,
      scales: { x: { time: true }, y: { range: [0, 1] } },
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: 'time (UTC)', value: function (u, v) { return v == null ? '' : new Date(v * 1000).toISOString().replace('T', ' ').replace('Z', ''); } },
        { label: 'packet score', stroke: '#b3261e', width: 0, points: { show: true, size: 6, fill: '#b3261e' } },
        { label: 'threshold', stroke: '#5f6b7a', width: 1, dash: [6, 4], points: { show: false } }
      ],
      // Clock time of day, milliseconds only where the ticks need them; ticks 110 px apart so they never overlap.
      axes: [{ space: 110, values: function (u, ticks) {
        var whole = ticks.every(function (t) { return Math.abs(t - Math.round(t)) < 1e-6; });
        return ticks.map(function (t) { return new Date(t * 1000).toISOString().slice(11, whole ? 19 : 23); });
      } }, { label: 'score' }]
    };
    var thr = d.ts.map(function () { return d.threshold; });
    new uPlot(opts, [d.ts, d.score, thr], el);
    state.charts++;
  }
  function init() {
    var el = document.getElementById('timeline');
    if (el) {
      try { drawTimeline(el); } catch (e) { state.errors.push(String(e)); el.textContent = 'timeline unavailable: ' + e; }
    }
    state.ready = true;
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
`;

function fromPackage(file: string): Buffer {
  return readFileSync(path.join(path.dirname(require.resolve('uplot/package.json')), 'dist', file));
}

/** Read once at start: a missing uPlot is an install problem found when the view starts, not on first page load. */
export function loadAssets(): Map<string, Asset> {
  return new Map<string, Asset>([
    ['ui.css', { type: 'text/css; charset=utf-8', body: Buffer.from(STYLE) }],
    ['ui.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(SCRIPT) }],
    ['uPlot.min.css', { type: 'text/css; charset=utf-8', body: fromPackage('uPlot.min.css') }],
    ['uPlot.iife.min.js', { type: 'text/javascript; charset=utf-8', body: fromPackage('uPlot.iife.min.js') }],
  ]);
}
