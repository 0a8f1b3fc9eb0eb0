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

/**
 * training-history.svg: loss per epoch on the training and held-out windows (left); per held-out
 * packet at the threshold calibration would choose: anomalies caught, ROC-AUC and the real
 * benign packets' FPR in percent (right).
 */
export function writeHistoryPlot(path: string, history: HistoryPoint[]): void {
  const panel = (x0: number, title: string, series: Array<{ name: string; color: string; values: number[] }>, yMax: number) => {
    const w = 420, h = 260, left = x0 + 50, top = 40, pw = w - 70, ph = h - 80;
    const n = Math.max(1, history.length - 1);
    const xs = (i: number) => left + (pw * i) / n;
    const ys = (v: number) => top + ph - (ph * Math.min(Math.max(v, 0), yMax)) / yMax;
    const parts = [
      `<text x="${left + pw / 2}" y="24" text-anchor="middle" font-size="14">${title}</text>`,
      `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333"/>`,
      `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333"/>`,
      `<text x="${left - 6}" y="${top + 4}" text-anchor="end" font-size="10">${yMax.toFixed(2)}</text>`,
      `<text x="${left - 6}" y="${top + ph}" text-anchor="end" font-size="10">0</text>`,
      `<text x="${left + pw / 2}" y="${top + ph + 30}" text-anchor="middle" font-size="11">epoch (1–${history.length})</text>`,
    ];
    series.forEach((s, k) => {
      const pts = s.values.map((v, i) => `${xs(i).toFixed(1)},${ys(v).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
      parts.push(`<text x="${left + pw - 4}" y="${top + 14 + 14 * k}" text-anchor="end" font-size="11" fill="${s.color}">${s.name}</text>`);
    });
    return parts.join('\n');
  };
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  const lossMax = Math.max(0.1, ...history.map((h) => Math.max(finite(h.loss), finite(h.valLoss)))) * 1.05;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="280" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(0, 'loss', [
      { name: 'training windows', color: '#1f77b4', values: history.map((h) => finite(h.loss)) },
      { name: 'held-out windows', color: '#d62728', values: history.map((h) => finite(h.valLoss)) },
    ], lossMax),
    panel(430, 'held-out packets at the early-stopping threshold', [
      { name: 'anomalies caught', color: '#2ca02c', values: history.map((h) => finite(h.recall)) },
      { name: 'ROC-AUC', color: '#9467bd', values: history.map((h) => finite(h.rocAuc)) },
      { name: 'benign FPR (%)', color: '#d62728', values: history.map((h) => finite(100 * h.benignFpr)) },
    ], 1),
    `</svg>`,
  ].join('\n');
  writeFileSync(path, svg);
}
