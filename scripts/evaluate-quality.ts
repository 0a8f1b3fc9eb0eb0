/**
 * `npm run quality [-- --model DIR]`: detection quality on captures the models were not trained on.
 *
 * 1. Real data first (../shared/realdata, when present): train with the default recipe, without
 *    labels, on train-benign.pcap, then score every mix with that model and with the shipped one.
 * 2. The shipped model (or --model) on held-out generator seeds (one attack each) and on the
 *    public samples (../shared/samples) when present.
 * Prints markdown tables (docs/quality.md keeps them).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { prAuc, recallAtFpr, rocAuc } from '../src/model/metrics';
import { openScorer } from '../src/pipeline/open-scorer';
import { scoreCapture } from '../src/pipeline/score-capture';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../src/paths';
import { labelFor, parseLabelsFile } from '../src/train/labels';
import { EVALUATION_SCENARIOS, EVAL_DURATION_SEC, EVAL_HOSTS, generatedDir } from './default-model-recipe';
import { REALDATA_DIR, evaluateMix, realdataMixes, realdataTable } from './realdata-eval';
import { runTraining } from '../src/train/run-training';
import { TRAINING_DEFAULTS } from '../src/train/recipe';

/** The realdata section: a user-trained model (default recipe) and the shipped one on every mix. */
async function realdataSection(shippedDir: string, dir: string): Promise<string> {
  const mixes = realdataMixes();
  if (mixes.length === 0) return `(../shared/realdata not found at ${REALDATA_DIR}: real-data section skipped)\n`;
  const userModel = path.join(dir, 'realdata-user-model');
  const t0 = Date.now();
  await runTraining({ ...TRAINING_DEFAULTS, files: [path.join(REALDATA_DIR, 'train-benign.pcap')], synthetic: true, out: userModel, backend: 'auto', seed: 7, progress: false });
  const trainSeconds = (Date.now() - t0) / 1000;
  const out: string[] = [];
  for (const [title, modelDir] of [[`trained on train-benign.pcap with the default recipe (no labels, seed 7; ${trainSeconds.toFixed(0)} s)`, userModel], ['the shipped model, no training', shippedDir]]) {
    const model = await openScorer({ modelDir, backend: 'auto', worker: true, batch: 512 });
    const rows = [];
    for (const mix of mixes) rows.push(await evaluateMix(model, mix));
    await model.scorer.dispose();
    out.push(`### realdata: ${title}\n\nmodel ${model.id}, threshold ${model.threshold.toFixed(4)}\n\n${realdataTable(rows)}\n`);
  }
  return out.join('\n');
}

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

async function main(): Promise<void> {
  const i = process.argv.indexOf('--model');
  const modelDir = i > 0 ? process.argv[i + 1] : DEFAULT_MODEL_DIR;
  const dir = generatedDir(PACKAGE_ROOT);
  mkdirSync(dir, { recursive: true });
  process.stdout.write(await realdataSection(modelDir, dir) + '\n');
  const model = await openScorer({ modelDir, backend: 'auto', worker: false, batch: 512 });
  const rows: string[] = ['| capture | packets | attack packets | ROC-AUC | PR-AUC | recall @1% FPR | recall @ threshold | FPR @ threshold |', '|---|---|---|---|---|---|---|---|'];
  for (const e of EVALUATION_SCENARIOS) {
    const out = path.join(dir, e.name);
    const labelsOut = out.replace(/\.pcap$/, '.labels.csv');
    // Always regenerated (seconds), as for training: a cached file could come from an older generator.
    await generateCapture({ out, seed: e.seed, durationSec: EVAL_DURATION_SEC, hosts: EVAL_HOSTS, scenarios: [e.scenario], labelsOut });
    rows.push(await row(e.name, [out], labelsOut, model));
  }
  const samples = path.join(PACKAGE_ROOT, '..', 'shared', 'samples');
  if (existsSync(path.join(samples, 'dns-remoteshell.pcap'))) {
    const lab = path.join(dir, 'dns-remoteshell.labels.csv');
    // The remote shell over TCP/53 is frames 14–38 (see SOURCES.md); the rest is ordinary DNS.
    writeFileSync(lab, 'frame,label\n' + Array.from({ length: 131 }, (_, k) => `${k + 1},${k + 1 >= 14 && k + 1 <= 38 ? 1 : 0}`).join('\n') + '\n');
    rows.push(await row('shared: dns-remoteshell.pcap', [path.join(samples, 'dns-remoteshell.pcap')], lab, model));
    const fileRows = ['', '| public sample | kind | packets | max score | share of packets ≥ threshold |', '|---|---|---|---|---|'];
    for (const [name, kind] of [['slammer.pcap', 'anomaly'], ['teardrop.cap', 'anomaly'], ['arp-storm.pcap', 'anomaly'], ['nmap-vsn.pcap', 'anomaly'], ['dns-remoteshell.pcap', 'anomaly'],
      ['dns.cap', 'benign'], ['http.cap', 'benign'], ['telnet-raw.pcap', 'benign'], ['nb6-startup.pcap', 'benign'], ['200722_tcp_anon.pcapng', 'benign']]) {
      let max = 0, over = 0, n = 0;
      await scoreCapture([path.join(samples, name)], model, {}, (_p, s) => {
        n++;
        max = Math.max(max, s);
        if (s >= model.threshold) over++;
      });
      fileRows.push(`| ${name} | ${kind} | ${n} | ${max.toFixed(3)} | ${(over / n).toFixed(3)} |`);
    }
    rows.push(...fileRows);
  }
  await model.scorer.dispose();
  process.stdout.write(`### generated captures and public samples: the shipped model\n\nmodel ${model.id}, threshold ${model.threshold.toFixed(4)}\n\n${rows.join('\n')}\n`);
}

async function row(name: string, files: string[], labelsFile: string, model: Awaited<ReturnType<typeof openScorer>>): Promise<string> {
  const spec = parseLabelsFile(labelsFile);
  const scores: number[] = [];
  const labels: number[] = [];
  await scoreCapture(files, model, {}, (p, s) => {
    scores.push(s);
    labels.push(labelFor(spec, p) ?? 0);
  });
  const pos = labels.reduce((a, b) => a + b, 0);
  let tp = 0, fp = 0;
  scores.forEach((s, k) => {
    if (s >= model.threshold) labels[k] ? tp++ : fp++;
  });
  return `| ${name} | ${scores.length} | ${pos} | ${f(rocAuc(scores, labels))} | ${f(prAuc(scores, labels))} | ${f(recallAtFpr(scores, labels, 0.01))} | ${f(pos ? tp / pos : null)} | ${f(fp / Math.max(1, scores.length - pos))} |`;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
