import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCaptureFiles } from '../capture/file-source';
import { PcapWriter } from '../capture/pcap-writer';
import { makePrivateDir, PRIVATE_FILE_MODE, writePrivateFile } from '../private-files';
import { configureLogger, logger } from '../logger';
import { openScorer } from '../pipeline/open-scorer';
import { scoreCapture } from '../pipeline/score-capture';
import { runTraining } from '../train/run-training';
import type { Span, TrainingJob, TrainingOutcome } from './training-job';

/**
 * The background training, in a child process of the daemon (forked with a heap cap, at low
 * priority, one thread): the spool → captures cut by time (incidents left out) → the `train`
 * command's own runTraining → the check on the held-out last part of time → the comparison on
 * recent incidents. It writes only into job.out (models/.incoming-*); the daemon alone gives the
 * model its name in the store and swaps it in.
 */
async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as TrainingJob;
  try {
    os.setPriority(0, job.nice);
  } catch (e) {
    logger.warn(`training: cannot lower the priority (${(e as Error).message}); training at normal priority`);
  }
  const t0 = Date.now();
  const outcome = await train(job);
  outcome.seconds = (Date.now() - t0) / 1000;
  process.send?.(outcome);
  await new Promise<void>((resolve) => setTimeout(resolve, 50));
}

const inside = (ts: number, spans: Span[]) => spans.some((s) => ts >= s.startTs && ts <= s.endTs);

async function train(job: TrainingJob): Promise<TrainingOutcome> {
  makePrivateDir(job.work);
  const trainPcap = path.join(job.work, 'train.pcap'), checkPcap = path.join(job.work, 'check.pcap'), incPcap = path.join(job.work, 'incidents.pcap');
  const counts = await cut(job, trainPcap, checkPcap, incPcap);
  const fail = (reason: string, extra: Partial<TrainingOutcome> = {}): TrainingOutcome =>
    ({ accepted: false, reason, out: job.out, packets: counts, threshold: null, checkFpr: null, syntheticRecall: null, incidentRecall: null, seconds: 0, ...extra });
  if (counts.train < job.training.window * 8) return fail(`only ${counts.train} packets to train on after leaving out incidents and the held-out part`);
  if (counts.check < job.training.window) return fail(`only ${counts.check} packets in the held-out part of time to check the model on`);
  const t = job.training;
  const summary = await runTraining({
    files: [trainPcap], out: job.out, backend: 'auto', progress: false, synthetic: true,
    epochs: t.epochs, batchSize: t.batchSize, validationSplit: t.validationSplit, learningRate: t.learningRate, window: t.window, stride: t.stride,
    trainStride: t.trainStride, patience: t.patience, targetFpr: t.targetFpr, syntheticCopies: t.syntheticCopies, seed: t.seed, initModel: t.initModel,
  });

  // The check: the candidate scores the held-out last part of the spool's time as the daemon would.
  const cand = await openScorer({ modelDir: job.out, backend: 'auto', worker: false, batch: 256 });
  let scored = 0, flagged = 0;
  try {
    await scoreCapture([checkPcap], cand, {}, (_p, score) => {
      if (score < 0) return;
      scored++;
      if (score >= cand.threshold) flagged++;
    });
  } finally {
    await cand.scorer.dispose();
  }
  const fpr = scored ? flagged / scored : 1;
  const report = path.join(job.out, 'training-report.json');
  const rep = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
  rep.sensorCheck = { fpr, maxFpr: job.maxFpr, packets: scored, reason: job.reason, excludedPackets: counts.excluded };
  writePrivateFile(report, JSON.stringify(rep, null, 2) + '\n');
  const base = { threshold: summary.threshold, checkFpr: fpr, syntheticRecall: summary.validation.recall };
  if (fpr > job.maxFpr) return fail(`check failed: FPR ${fpr.toFixed(4)} on the ${scored} held-out packets at threshold ${summary.threshold.toFixed(4)} is above learning.check.maxFpr ${job.maxFpr}`, base);

  // What the current model flags inside recent incidents, the candidate must still flag (enough of).
  let recall: number | null = null;
  if (counts.incidents > 0) {
    const flaggedBy = async (dir: string, thr: number | null): Promise<Set<number>> => {
      const m = await openScorer({ modelDir: dir, backend: 'auto', worker: false, batch: 256 });
      const out = new Set<number>();
      try {
        await scoreCapture([incPcap], m, { alertThreshold: thr ?? m.threshold }, (p, score) => {
          if (score >= (thr ?? m.threshold) && inside(p.ts, job.incidents)) out.add(p.frame);
        });
      } finally {
        await m.scorer.dispose();
      }
      return out;
    };
    const now = await flaggedBy(job.currentModel, job.currentThreshold);
    const next = await flaggedBy(job.out, null);
    if (now.size > 0) {
      let kept = 0;
      for (const f of now) if (next.has(f)) kept++;
      recall = kept / now.size;
      if (recall < job.minRecallOnIncidents) {
        return fail(`the new model flags only ${kept} of the ${now.size} packets the current model flags in the ${job.incidents.length} recent incidents (${(recall * 100).toFixed(1)}% < learning.check.minRecallOnIncidents ${job.minRecallOnIncidents})`, { ...base, incidentRecall: recall });
      }
    }
  }
  rmSync(job.work, { recursive: true, force: true });
  return { accepted: true, reason: 'passed', out: job.out, packets: counts, ...base, incidentRecall: recall, seconds: 0 };
}

/** Spool → train.pcap (before the held-out cut), check.pcap (after), incidents.pcap (around recent incidents). */
async function cut(job: TrainingJob, trainPcap: string, checkPcap: string, incPcap: string) {
  const margin = job.incidentMarginSeconds;
  const around = job.incidents.map((s) => ({ startTs: s.startTs - margin, endTs: s.endTs + margin }));
  // The held-out part is the most recent holdOut share of the packets kept for training: the last
  // part of time as the network filled it (a gap while the sensor was down holds no packets to check on).
  let kept = 0;
  for await (const batch of openCaptureFiles(job.files)) for (const p of batch) if (!inside(p.tsSec + p.tsNsec / 1e9, job.exclude)) kept++;
  const cutAt = Math.floor(kept * (1 - job.holdOut));
  const counts = { train: 0, check: 0, excluded: 0, incidents: 0 };
  let writers: { train: PcapWriter; check: PcapWriter; inc: PcapWriter } | null = null;
  let linkType = -1;
  const source = openCaptureFiles(job.files);
  for await (const batch of source) {
    for (const p of batch) {
      if (!writers) {
        linkType = p.linkType;
        const o = { linkType, mode: PRIVATE_FILE_MODE }; // raw packets, as the spool they come from
        writers = { train: new PcapWriter(trainPcap, o), check: new PcapWriter(checkPcap, o), inc: new PcapWriter(incPcap, o) };
      }
      if (p.linkType !== linkType) continue;
      const ts = p.tsSec + p.tsNsec / 1e9;
      if (around.length && inside(ts, around)) {
        writers.inc.write(p.tsSec, p.tsNsec, p.data, p.origLen);
        counts.incidents++;
      }
      if (inside(ts, job.exclude)) {
        counts.excluded++;
        continue;
      }
      if (counts.train < cutAt) {
        writers.train.write(p.tsSec, p.tsNsec, p.data, p.origLen);
        counts.train++;
      } else {
        writers.check.write(p.tsSec, p.tsNsec, p.data, p.origLen);
        counts.check++;
      }
    }
  }
  if (writers) for (const w of Object.values(writers)) await w.close();
  return counts;
}

configureLogger({ level: process.env.LLN_TRAINING_LOG_LEVEL === 'debug' ? 'debug' : 'warn', format: 'text' });
main().then(
  () => process.exit(0),
  (e: Error) => {
    process.send?.({ error: `${(e as { code?: string }).code ? `${(e as { code?: string }).code}: ` : ''}${e.message}` });
    setTimeout(() => process.exit(1), 50);
  },
);
