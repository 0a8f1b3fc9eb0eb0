import { writeFileSync } from 'node:fs';

export interface HistoryPoint {
  epoch: number;
  loss: number;
  valLoss: number;
  /** Held-out packets at the early-stopping threshold (calibration under earlyStopFloor) after this epoch (NaN: none). */
  recall: number;
  benignFpr: number;
  rocAuc: number;
}

/** How the run ended, for the marks and the caption (all optional: a bare history still plots). */
export interface HistoryPlotInfo {
  /** The epochs (1-based) whose weights the model kept (averaged when more than one). */
  keptEpochs?: number[];
  stoppedEarly?: boolean;
  /** Epochs without improvement that end a run early. */
  patience?: number;
  /** The floor of the early-stopping calibration (earlyStopFloor). */
  earlyStopFloor?: number;
  /** What early stopping watched (recipe earlyStopOn): the catch at the check's threshold, or the held-out loss. */
  stopOn?: 'check' | 'loss';
}

interface Series {
  name: string;
  color: string;
  values: number[];
}

/** A rectangle in SVG coordinates: the plot areas and legend boxes (the tests check they never meet). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const WIDTH = 1200;
const PANEL_W = 400;
/** Inside a panel: the plot area's offsets and size. */
const PLOT = { left: 58, top: 112, w: 318, h: 170 };
const CHAR_W = 6.2; // a sans-serif 11 px character, a little generous

/**
 * training-history.svg, three panels side by side, each with its own y axis and its legend above
 * its plot area (never over a line): the loss per epoch on training and held-out windows; per
 * held-out packet at the early-stopping threshold, the share of anomalies caught and ROC-AUC;
 * and the real benign packets' FPR in percent. A dashed line marks the kept epoch, and the
 * caption says why the held-out loss may rise while the kept model still improves.
 */
export function writeHistoryPlot(path: string, history: HistoryPoint[], info: HistoryPlotInfo = {}): void {
  writeFileSync(path, renderHistoryPlot(history, info));
}

export function renderHistoryPlot(history: HistoryPoint[], info: HistoryPlotInfo = {}): string {
  const n = history.length;
  const kept = (info.keptEpochs ?? []).filter((e) => e >= 1 && e <= n);
  const floor = info.earlyStopFloor;
  const atThreshold = floor === undefined ? 'the early-stopping threshold' : `the early-stopping threshold (floor ${floor})`;
  const finite = (v: number) => (Number.isFinite(v) ? v : NaN);

  const lossValues = history.flatMap((h) => [h.loss, h.valLoss]).filter(Number.isFinite);
  const catchValues = history.flatMap((h) => [h.recall, h.rocAuc]).filter(Number.isFinite);
  const fprValues = history.map((h) => 100 * h.benignFpr).filter(Number.isFinite);
  const panels = [
    panel(0, 'loss (binary cross-entropy)', '', [
      { name: 'training windows', color: '#1f77b4', values: history.map((h) => finite(h.loss)) },
      { name: 'held-out windows', color: '#ff7f0e', values: history.map((h) => finite(h.valLoss)) },
    ], [0, niceCeil(Math.max(0.1, ...lossValues) * 1.05)], n, kept),
    panel(1, 'held-out packets at the threshold', 'share (0–1)', [
      { name: 'anomalies caught (recall)', color: '#2ca02c', values: history.map((h) => finite(h.recall)) },
      { name: 'ROC-AUC', color: '#9467bd', values: history.map((h) => finite(h.rocAuc)) },
    ], [shareFloor(catchValues), 1], n, kept),
    panel(2, 'held-out benign packets flagged', 'FPR (%)', [
      { name: 'benign FPR (%)', color: '#d62728', values: history.map((h) => finite(100 * h.benignFpr)) },
    ], [0, niceCeil(Math.max(0.01, ...fprValues) * 1.1)], n, kept),
  ];

  const ending = !n
    ? 'no epoch finished'
    : [
        kept.length === 0 ? null : kept.length === 1 ? `kept: epoch ${kept[0]}` : `kept: the mean of epochs ${kept.join(', ')}`,
        info.stoppedEarly ? `stopped early after ${plural(n, 'epoch')}${info.patience ? ` (${info.patience} without improving)` : ''}` : plural(n, 'epoch'),
      ].filter(Boolean).join('; ');
  const checked = history.some((h) => Number.isFinite(h.recall));
  const heldOutLoss = history.some((h) => Number.isFinite(h.valLoss));
  const why = !checked && !heldOutLoss
    ? 'Early stopping watched the training loss: there were no held-out windows to check the model on.'
    : info.stopOn === 'loss' || !checked
    ? 'Early stopping kept the epoch with the lowest held-out loss' + (checked ? ' (recipe earlyStopOn: loss); the catch at the threshold is shown, not used.' : ': there was no held-out check to watch.')
    : `Early stopping keeps the epoch that catches the most held-out anomalies at ${atThreshold}, not the one with the lowest held-out loss ` +
      '(docs/training.md, "Early stopping on what a user gets"). A rising held-out loss does not mean a worse detector: cross-entropy punishes a ' +
      'confident wrong score without bound, so a few held-out windows scored ever more confidently wrong can raise it while more anomalies are caught.';
  const caption = wrap(why, Math.floor((WIDTH - 40) / 6.3));
  const height = PLOT.top + PLOT.h + 44 + 18 * caption.length + 12;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">training history</text>`,
    `<text class="subtitle" x="${WIDTH / 2}" y="40" text-anchor="middle" font-size="12" fill="#333">${escapeXml(ending)}</text>`,
    ...panels.map((p) => p.svg),
  ];
  caption.forEach((line, i) => {
    out.push(`<text class="caption" x="20" y="${PLOT.top + PLOT.h + 50 + 18 * i}" font-size="11.5" fill="#333">${escapeXml(line)}</text>`);
  });
  out.push('</svg>\n');
  return out.join('\n');
}

function panel(k: number, title: string, yLabel: string, series: Series[], [lo, hi]: [number, number], n: number, kept: number[]): { svg: string } {
  const x0 = k * PANEL_W;
  const left = x0 + PLOT.left, top = PLOT.top, pw = PLOT.w, ph = PLOT.h;
  const xs = (i: number) => left + (n <= 1 ? pw / 2 : (pw * i) / (n - 1));
  const ys = (v: number) => top + ph - (ph * (Math.min(Math.max(v, lo), hi) - lo)) / (hi - lo || 1);
  const parts: string[] = [`<g class="panel" data-index="${k}">`];
  parts.push(`<text x="${left + pw / 2}" y="66" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`);
  parts.push(`<rect class="plot-area" x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`);

  // Legend: one row per series above the plot area, each a swatch and its name.
  series.forEach((s, j) => {
    const ly = 80 + 14 * j;
    const box = { x: left + 4, y: ly - 9, w: 22 + s.name.length * CHAR_W, h: 12 };
    parts.push(`<g class="legend" data-box="${box.x.toFixed(1)} ${box.y.toFixed(1)} ${box.w.toFixed(1)} ${box.h.toFixed(1)}">`);
    parts.push(`<line x1="${left + 4}" y1="${ly - 4}" x2="${left + 20}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"/>`);
    parts.push(`<text x="${left + 26}" y="${ly}" fill="#222">${escapeXml(s.name)}</text>`);
    parts.push(`</g>`);
  });

  // y axis: about five round ticks from lo to hi, with grid lines.
  const step = niceStep((hi - lo) / 5);
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) {
    const y = ys(v);
    parts.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${left + pw}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text class="ytick" x="${left - 5}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="10">${tickLabel(v, step)}</text>`);
  }
  if (yLabel) parts.push(`<text transform="translate(${x0 + 14} ${top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="10.5">${escapeXml(yLabel)}</text>`);
  // x axis: epochs 1..n, labelled every few so the labels do not touch.
  const every = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i++) {
    // Epoch 1 too, unless it would touch epoch `every`'s label.
    if ((i + 1) % every !== 0 && !(i === 0 && (every === 1 || every >= 4))) continue;
    parts.push(`<text class="xtick" x="${xs(i).toFixed(1)}" y="${top + ph + 14}" text-anchor="middle" font-size="10">${i + 1}</text>`);
  }
  parts.push(`<text x="${left + pw / 2}" y="${top + ph + 30}" text-anchor="middle" font-size="10.5">epoch</text>`);

  // The kept epoch(s): a dashed line, labelled at the bottom of the plot area, clear of the legend.
  for (const e of kept) {
    const x = xs(e - 1);
    parts.push(`<line class="kept" x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + ph}" stroke="#555" stroke-dasharray="4 3"/>`);
  }
  if (kept.length > 0) {
    // Above the plot area, between the legend and the lines: it covers neither.
    const x = xs(kept[0]! - 1);
    const [lx, anchor] = x - left < 16 ? [x + 2, 'start'] : left + pw - x < 16 ? [x - 2, 'end'] : [x, 'middle'];
    parts.push(`<text class="kept-label" x="${lx.toFixed(1)}" y="${top - 3}" text-anchor="${anchor}" font-size="10" fill="#555">kept</text>`);
  }

  if (!series.some((s) => s.values.some(Number.isFinite))) {
    parts.push(`<text class="no-data" x="${left + pw / 2}" y="${top + ph / 2}" text-anchor="middle" fill="#888">no held-out figures in this run</text>`);
  }
  for (const s of series) {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${xs(i).toFixed(1)},${ys(v).toFixed(1)}` : null)).filter((p): p is string => p !== null);
    if (pts.length > 1) parts.push(`<polyline class="series" data-name="${escapeXml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      parts.push(`<circle class="epoch-point" cx="${cx}" cy="${cy}" r="2.5" fill="${s.color}"/>`);
    }
  }
  parts.push('</g>');
  return { svg: parts.join('\n') };
}

/** A round lower bound for shares (recall, AUC) near 1, so their changes show: 0 when any is low. */
function shareFloor(values: number[]): number {
  const min = values.length ? Math.min(...values) : 0;
  if (min < 0.5) return 0;
  const span = 1 - min;
  const step = niceStep(Math.max(span, 0.005) / 2);
  return Math.max(0, Math.floor((min - step / 2) / step) * step);
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw - 1e-12) return m * mag;
  return 10 * mag;
}

function niceCeil(v: number): number {
  const step = niceStep(v / 5);
  return Math.ceil(v / step - 1e-9) * step;
}

function tickLabel(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0));
  return v.toFixed(Math.min(6, decimals));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Lines of at most `width` characters, broken between words. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  return lines;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
