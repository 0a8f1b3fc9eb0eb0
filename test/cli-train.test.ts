import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { FEATURE_SCHEMA } from '../src/features/schema';
import { DEFAULT_INJECTION_KINDS } from '../src/train/anomaly-injector';
import { TRAINING_DEFAULTS } from '../src/train/recipe';
import { runCli, tempDir } from './helpers/cli';

const dir = tempDir('train');
const benign = path.join(dir, 'benign.pcap');
const attack = path.join(dir, 'attack.pcap');
const attackLabels = path.join(dir, 'attack.labels.csv');
const model = path.join(dir, 'model');

before(async () => {
  await generateCapture({ out: benign, seed: 11, durationSec: 300, hosts: 10, packetsTarget: 6000 });
  await generateCapture({ out: attack, seed: 12, durationSec: 200, hosts: 10, packetsTarget: 4000, scenarios: [{ kind: 'portscan', startSec: 80, durationSec: 20 }], labelsOut: attackLabels });
});

test('train without labels writes a complete, loadable model directory', () => {
  const r = runCli(['train', '--pcap-file', benign, '--epochs', '3', '--batch-size', '64', '--train-stride', '4', '--out', model, '--seed', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /model written to/);
  // How it ended and which epoch's weights it kept, in words (the report says the same).
  const ended = /^epochs: (\d) of at most 3 epochs, (ran them all|stopped early: [^;]+); kept epoch (\d) \(the best by the held-out check\)$/m.exec(r.stdout);
  assert.ok(ended, r.stdout);
  for (const f of ['model.json', 'weights.bin', 'scaler.json', 'features.json', 'threshold.json', 'training-report.json', 'training-history.svg']) {
    assert.ok(existsSync(path.join(model, f)), `missing ${f}`);
  }
  const report = JSON.parse(readFileSync(path.join(model, 'training-report.json'), 'utf8'));
  assert.equal(report.inputs[0].sha256.length, 64);
  assert.equal(Number(ended[3]), report.bestEpoch + 1);
  // The threshold in false incidents on the held-out benign time, in threshold.json and in words.
  const promise = JSON.parse(readFileSync(path.join(model, 'threshold.json'), 'utf8')).falseIncidents;
  assert.ok(promise.heldOutSeconds > 0 && promise.perDayAtMost >= promise.perDay && promise.perDayAtMost > 0, JSON.stringify(promise));
  assert.equal(promise.perDay, promise.count / (promise.heldOutSeconds / 86400));
  assert.match(r.stdout, new RegExp(`^threshold \\d\\.\\d{4}: ${promise.count} false incidents? in [\\d.]+ (s|min|h) of held-out benign traffic \\(.*95%\\)$`, 'm'));
  assert.equal(Number(ended[1]), report.history.length);
  assert.equal(report.synthetic, true);
  // The report names the kinds and copies the model was trained on (the recipe's, here).
  assert.deepEqual(report.hyperParameters.syntheticKinds, DEFAULT_INJECTION_KINDS);
  assert.equal(report.hyperParameters.syntheticCopies, TRAINING_DEFAULTS.syntheticCopies);
  assert.ok(report.history.length >= 1 && report.history.length <= 3);
  assert.ok(report.windows.trainAnomalous > 0 && report.windows.train > report.windows.trainAnomalous);
  const th = JSON.parse(readFileSync(path.join(model, 'threshold.json'), 'utf8'));
  assert.equal(th.method, 'target-fpr');
  assert.ok(th.value > 0 && th.value <= 1);
  assert.equal(JSON.parse(readFileSync(path.join(model, 'features.json'), 'utf8')).version, FEATURE_SCHEMA.version);

  // the trained model replays and evaluates
  const rep = runCli(['replay', attack, '--model', model, '--no-db', '--no-csv', '--scores-csv', path.join(dir, 's.csv'), '--quiet']);
  assert.equal(rep.code, 0, rep.stderr);
  const ev = runCli(['evaluate', '--model', model, '--pcap-file', attack, '--labels', attackLabels, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const m = JSON.parse(ev.stdout);
  assert.equal(m.packets, 4000);
  assert.ok(m.anomalous > 0);
  assert.equal(m.tp + m.fp + m.tn + m.fn, 4000);
  assert.ok(m.rocAuc === null || (m.rocAuc >= 0 && m.rocAuc <= 1));
});

test('train with a labels file calibrates for the best F1', () => {
  const out = path.join(dir, 'labelled');
  const r = runCli(['train', '--pcap-file', attack, '--labels', attackLabels, '--epochs', '2', '--batch-size', '64', '--train-stride', '4', '--validation-split', '0.5', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, 'training-report.json'), 'utf8'));
  assert.ok(report.labels.anomalousPackets > 0);
});

test('a model with another feature-schema version is refused with a clear message', () => {
  const bad = path.join(dir, 'model');
  const f = path.join(bad, 'features.json');
  const orig = readFileSync(f, 'utf8');
  try {
    writeFileSync(f, JSON.stringify({ ...JSON.parse(orig), version: '0.0.1-old' }));
    const r = runCli(['replay', benign, '--model', bad, '--no-db', '--no-csv', '--quiet']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /LLN_E_SCHEMA_MISMATCH.*0\.0\.1-old/);
  } finally {
    writeFileSync(f, orig);
  }
});

test('train rejects bad input with one-line errors', () => {
  const missing = runCli(['train', '--pcap-file', path.join(dir, 'nope.pcap'), '--out', path.join(dir, 'x')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /LLN_E_NOT_FOUND/);
  const badLabels = path.join(dir, 'bad.csv');
  writeFileSync(badLabels, 'what,ever\n1,2\n');
  const lab = runCli(['train', '--pcap-file', benign, '--labels', badLabels, '--out', path.join(dir, 'y')]);
  assert.equal(lab.code, 3);
  assert.match(lab.stderr, /LLN_E_LABELS/);
  const usage = runCli(['train', '--pcap-file', benign, '--epochs', 'zero']);
  assert.equal(usage.code, 2);
});
