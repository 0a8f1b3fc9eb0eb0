import { html, queryString, type Html } from './html';

/** The frame every page shares: the stylesheet and script from the view itself, a nav, the source it reads. */
export function layout(o: { title: string; here: 'incidents' | 'status' | 'incident'; source: string; body: Html; chart?: boolean }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title} · lln-detect</title>
<link rel="stylesheet" href="/static/ui.css">
${o.chart ? html`<link rel="stylesheet" href="/static/uPlot.min.css">
<script src="/static/uPlot.iife.min.js" defer></script>` : ''}
<script src="/static/ui.js" defer></script>
</head>
<body>
<header>
<span class="brand">lln-detect</span>
<nav><a href="/incidents" class="${o.here !== 'status' ? 'here' : ''}">Incidents</a><a href="/status" class="${o.here === 'status' ? 'here' : ''}">Status</a></nav>
<span class="source">read-only · ${o.source}</span>
</header>
<main>
${o.body}
</main>
</body>
</html>
`.text;
}

/** Scores at or above 0.99 stand out, 0.9 a little: the thresholds (0.9999 for a trained model, 0.9 shipped) sit there. */
export function scoreCell(score: number): Html {
  const cls = score >= 0.99 ? 'score high' : score >= 0.9 ? 'score mid' : 'score';
  return html`<span class="${cls}">${score.toFixed(3)}</span>`;
}

/** '2024-03-04T09:00:10.123456Z' → '2024-03-04 09:00:10.123' (UTC, milliseconds are enough to read). */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d{3})\d*Z?$/, '$1').replace(/Z$/, '');
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return `${(seconds * 1000).toFixed(0)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A host (IP or MAC) as a link to every incident it is part of: the triage question "what else did it do". */
export function hostLink(host: string | null, sensor?: string): Html | string {
  if (!host) return '–';
  return html`<a href="/incidents${queryString({ host, sensor })}">${host}</a>`;
}

/** Parse a stored JSON array (hosts, ports), tolerating a damaged one: the view shows what it can. */
export function jsonList(text: string): Array<string | number> {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number') : [];
  } catch {
    return [];
  }
}
