/**
 * `npm run quality [-- --model DIR]`: per-scenario quality of a model on captures it was not
 * trained on (held-out generator seeds, one attack each) and on the public samples beside the
 * project (../shared/samples) when present. Prints a markdown table (docs/quality.md keeps one).
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

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

async function main(): Promise<void> {
  const i = process.argv.indexOf('--model');
  const modelDir = i > 0 ? process.argv[i + 1] : DEFAULT_MODEL_DIR;
  const model = await openScorer({ modelDir, backend: 'auto', worker: false, batch: 512 });
  const dir = generatedDir(PACKAGE_ROOT);
  mkdirSync(dir, { recursive: true });
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
  process.stdout.write(`model ${model.id}, threshold ${model.threshold.toFixed(4)}\n\n${rows.join('\n')}\n`);
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
