import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeHistoryPlot, type HistoryPoint } from '../src/train/history-plot';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A recorded history: `train` on ../shared/realdata, seed 7 (training-report.json of
 * samples/generated/quality/realdata-seed7): the held-out loss rises every epoch while the share
 * caught at the threshold grows; epoch 5 kept, stopped early after 10 (patience 5).
 */
const RECORDED: Array<[number, number, number, number, number]> = [
  // loss, held-out loss, recall, benign FPR, ROC-AUC
  [0.1174, 0.4842, 0.95528, 0, 0.99333],
  [0.0403, 0.602, 0.96612, 0.000263, 0.99525],
  [0.0288, 0.6608, 0.9729, 0.0000878, 0.99558],
  [0.0235, 0.813, 0.98916, 0.0000878, 0.99583],
  [0.0207, 0.8995, 0.99051, 0.000966, 0.99599],
  [0.0169, 0.8815, 0.99051, 0.000439, 0.99626],
  [0.0152, 0.9439, 0.98916, 0.000527, 0.99675],
  [0.0135, 1.0491, 0.98238, 0.0000878, 0.99702],
  [0.0127, 1.036, 0.99051, 0.000176, 0.99685],
  [0.0107, 1.0518, 0.98916, 0.000176, 0.9964],
];
const HISTORY: HistoryPoint[] = RECORDED.map(([loss, valLoss, recall, benignFpr, rocAuc], epoch) => ({ epoch, loss, valLoss, recall, benignFpr, rocAuc }));
const NAMES = ['training windows', 'held-out windows', 'anomalies caught', 'ROC-AUC', 'benign FPR (%)'];

function render(history: HistoryPoint[], name: string): string {
  const file = path.join(dir, name);
  writeHistoryPlot(file, history, { keptEpochs: [5], stoppedEarly: true, patience: 5, earlyStopFloor: 0.9, stopOn: 'check' });
  return readFileSync(file, 'utf8');
}

type Pt = [number, number];
/** Every series line, in drawing order (training loss, held-out loss, recall, ROC-AUC, FPR). */
function lines(svg: string): Pt[][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1]!.trim().split(/\s+/).map((p) => p.split(',').map(Number) as Pt));
}

/** The box a legend label's text takes (11 px sans-serif, ~6.2 px a character), from its anchor. */
function labelBoxes(svg: string): Array<{ name: string; x0: number; x1: number; y0: number; y1: number }> {
  const boxes = [];
  for (const m of svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)) {
    const text = m[2]!.replace(/&amp;/g, '&');
    if (!NAMES.some((n) => text.startsWith(n))) continue;
    const attr = (a: string): string | undefined => new RegExp(`(?:^|\\s)${a}="([^"]+)"`).exec(m[1]!)?.[1];
    const x = Number(attr('x')), y = Number(attr('y')), w = text.length * 6.2;
    const anchor = attr('text-anchor') ?? 'start';
    const x0 = anchor === 'end' ? x - w : anchor === 'middle' ? x - w / 2 : x;
    boxes.push({ name: text, x0, x1: x0 + w, y0: y - 10, y1: y + 2 });
  }
  return boxes;
}

/** Whether the segment a-b passes through the box (sampled finely: the boxes are ≥ 10 px). */
function crosses(a: Pt, b: Pt, box: { x0: number; x1: number; y0: number; y1: number }): boolean {
  for (let t = 0; t <= 1; t += 0.01) {
    const x = a[0] + (b[0] - a[0]) * t, y = a[1] + (b[1] - a[1]) * t;
    if (x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1) return true;
  }
  return false;
}

test('training-history.svg: no legend label is drawn over a line', () => {
  const svg = render(HISTORY, 'legend.svg');
  const boxes = labelBoxes(svg);
  assert.equal(boxes.length, NAMES.length, `a legend label per series: ${boxes.map((b) => b.name).join(', ')}`);
  const all = lines(svg);
  assert.equal(all.length, NAMES.length);
  for (const box of boxes) {
    for (const line of all) {
      for (let i = 0; i < line.length; i++) {
        const a = line[i]!, b = line[Math.min(i + 1, line.length - 1)]!;
        assert.ok(!crosses(a, b, box), `legend label '${box.name}' covers the line through ${a.join(',')}–${b.join(',')}`);
      }
    }
  }
});

test('training-history.svg: the benign FPR (%) has an axis of its own, scaled to its values, apart from ROC-AUC', () => {
  const svg = render(HISTORY, 'fpr.svg');
  const [, , , auc, fpr] = lines(svg) as [Pt[], Pt[], Pt[], Pt[], Pt[]];
  const xsOf = (l: Pt[]) => l.map((p) => p[0]);
  // Another panel: the FPR line's x range does not overlap ROC-AUC's.
  assert.ok(Math.min(...xsOf(fpr)) > Math.max(...xsOf(auc)) || Math.max(...xsOf(fpr)) < Math.min(...xsOf(auc)), 'FPR and ROC-AUC share a plot');
  // Its axis fits 0–0.1 %: the peak (epoch 5, 0.097 %) is drawn well above the lowest value, not flat at 0.
  const ys = fpr.map((p) => p[1]);
  assert.ok(Math.max(...ys) - Math.min(...ys) > 100, `FPR line spans ${Math.max(...ys) - Math.min(...ys)} px`);
  const panel = svg.match(/<g class="panel" data-index="2">([\s\S]*?)<\/g>\n(?=<g class="panel"|<text)/);
  assert.ok(panel, 'a third panel');
  assert.match(panel[1]!, /benign FPR \(%\)/);
  const ticks = [...panel[1]!.matchAll(/<text class="ytick"[^>]*>([\d.]+)</g)].map((m) => Number(m[1]));
  assert.deepEqual(ticks, [0, 0.025, 0.05, 0.075, 0.1, 0.125]);
});

test('training-history.svg: says which epoch was kept and why the held-out loss may rise meanwhile', () => {
  const svg = render(HISTORY, 'caption.svg');
  const text = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ').replace(/&quot;/g, '"');
  assert.match(text, /kept: epoch 5; stopped early after 10 epochs \(5 without improving\)/);
  assert.match(text, /Early stopping keeps the epoch that catches the most held-out anomalies at the early-stopping threshold \(floor 0\.9\), not the one with the lowest held-out loss/);
  assert.match(text, /A rising held-out loss does not mean a worse detector/);
  assert.match(text, /docs\/training\.md, "Early stopping on what a user gets"/);
  // The kept epoch is marked in each panel, at epoch 5's x.
  const kept = [...svg.matchAll(/<line class="kept" x1="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(kept.length, 3);
  const [, , recall] = lines(svg) as [Pt[], Pt[], Pt[]];
  assert.ok(Math.abs(kept[1]! - recall[4]![0]) < 0.2, 'the mark stands on epoch 5');
});

test('training-history.svg of one epoch, or without a held-out check: drawn, no NaN, and the caption says what was watched', () => {
  const one = render(HISTORY.slice(0, 1), 'one.svg');
  assert.doesNotMatch(one, /NaN|Infinity/);
  assert.equal((one.match(/<circle class="epoch-point"/g) ?? []).length, 5, 'a dot per series');
  assert.match(one, /after 1 epoch \(/);
  const file = path.join(dir, 'nocheck.svg');
  writeHistoryPlot(file, [0, 1, 2].map((epoch) => ({ epoch, loss: 0.4 - epoch / 10, valLoss: NaN, recall: NaN, benignFpr: NaN, rocAuc: NaN })));
  const bare = readFileSync(file, 'utf8');
  assert.doesNotMatch(bare, /NaN|Infinity/);
  assert.match(bare, /Early stopping watched the training loss: there were no held-out windows/);
  assert.equal((bare.match(/no held-out figures in this run/g) ?? []).length, 2);
});
