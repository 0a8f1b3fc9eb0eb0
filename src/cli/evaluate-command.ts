import type { BackendPreference } from '../model/backend';
import { checkModelOption } from './model-option';
import { fullReport, recallAtFpr } from '../model/metrics';
import { openScorer } from '../pipeline/open-scorer';
import { scoreCapture } from '../pipeline/score-capture';
import { labelFor, parseLabelsFile } from '../train/labels';

interface EvaluateCliOptions {
  model?: string;
  pcapFile: string[];
  labels: string;
  threshold?: number;
  json?: boolean;
  backend: BackendPreference;
}

/** `lln-detect evaluate`: per-packet quality of a model against a labels file. */
export async function runEvaluate(o: EvaluateCliOptions): Promise<void> {
  const spec = parseLabelsFile(o.labels);
  if (o.model) checkModelOption(o.model);
  const model = await openScorer({ modelDir: o.model, backend: o.backend, worker: false, batch: 512 });
  const scores: number[] = [];
  const labels: number[] = [];
  try {
    await scoreCapture(o.pcapFile, model, { alertThreshold: o.threshold ?? model.threshold }, (p, score) => {
      scores.push(score);
      labels.push(labelFor(spec, p) ?? 0);
    });
  } finally {
    await model.scorer.dispose();
  }
  const threshold = o.threshold ?? model.threshold;
  const r = { model: model.id, packets: scores.length, anomalous: labels.reduce((a, b) => a + b, 0), ...fullReport(scores, labels, threshold), recallAt1PctFpr: recallAtFpr(scores, labels, 0.01) };
  if (o.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return;
  }
  const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  process.stdout.write(
    [
      `model ${r.model}  threshold ${threshold.toFixed(4)}  packets ${r.packets} (${r.anomalous} labelled anomalous)`,
      '',
      '                 predicted anomaly   predicted normal',
      `actual anomaly   ${String(r.tp).padStart(17)}   ${String(r.fn).padStart(16)}`,
      `actual normal    ${String(r.fp).padStart(17)}   ${String(r.tn).padStart(16)}`,
      '',
      `accuracy ${f(r.accuracy)}  precision ${f(r.precision)}  recall/TPR ${f(r.recall)}  specificity/TNR ${f(r.specificity)}`,
      `FPR ${f(r.fpr)}  FNR ${f(r.fnr)}  F1 ${f(r.f1)}  ROC-AUC ${f(r.rocAuc)}  PR-AUC ${f(r.prAuc)}  recall@1%FPR ${f(r.recallAt1PctFpr)}`,
    ].join('\n') + '\n',
  );
}
