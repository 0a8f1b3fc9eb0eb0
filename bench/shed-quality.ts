import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openCaptureFiles } from '../src/capture/file-source';
import { FEATURE_COUNT } from '../src/features/schema';
import { PACKAGE_ROOT } from '../src/paths';
import { openScorer } from '../src/pipeline/open-scorer';
import { ScoringPipeline } from '../src/pipeline/scoring-pipeline';

/**
 * What overload shedding costs in detection (docs/daemon.md, "Overload"): realdata's attack mixes
 * scored by the daemon's pipeline (flow verdicts, the shipped model, its threshold) with one due
 * window in 1, 4, 16 and 64 scored and the packets in no scored window filled from the nearer
 * scored window, as the daemon does at shed levels 0, 2, 4 and 6 — for the whole capture, where
 * the daemon sheds only while it is behind. Per mix and factor: the share of the attack's packets
 * at or above the threshold (TPR) and of the benign ones (FPR). Skipped without ../shared/realdata
 * (LLN_REALDATA_DIR points elsewhere).
 */
const FACTORS = [1, 4, 16, 64];
const MIXES = (process.env.LLN_BENCH_SHED_MIXES ?? 'udp-flood,icmp-flood-blacknurse,nmap-syn-scan,masscan-udp-scan,dns-tunnel-sods').split(',');

export async function runShedQualityBench(): Promise<Record<string, number>> {
  const dir = path.join(process.env.LLN_REALDATA_DIR ?? path.join(PACKAGE_ROOT, '..', 'shared', 'realdata'), 'mixes');
  const out: Record<string, number> = {};
  if (!existsSync(dir)) {
    process.stderr.write(`shed: ${dir} not found: skipping\n`);
    return out;
  }
  const model = await openScorer({ backend: 'auto', worker: false, batch: 256 });
  try {
    for (const mix of MIXES) {
      const file = path.join(dir, `${mix}.pcap`);
      if (!existsSync(file)) continue;
      const labels = new Map(readFileSync(file.replace(/\.pcap$/, '.labels.csv'), 'utf8').trim().split('\n').slice(1)
        .map((l) => l.split(',').map(Number) as [number, number]));
      const line: string[] = [];
      for (const factor of FACTORS) {
        let tp = 0, pos = 0, fp = 0, neg = 0;
        const p = new ScoringPipeline({
          scaler: model.scaler, scorer: model.scorer, window: model.window, stride: model.stride, features: FEATURE_COUNT, batchWindows: 256,
          keepRowsAtOrAbove: model.threshold, alertThreshold: model.threshold, fillGaps: true,
          onFinal: (f) => {
            for (let i = 0; i < f.length; i++) {
              const hit = f.score(i) >= model.threshold;
              if (labels.get(f.frame(i)) === 1) { pos++; if (hit) tp++; } else { neg++; if (hit) fp++; }
            }
          },
        });
        p.setShedFactor(factor);
        for await (const batch of openCaptureFiles([file])) await p.push(batch);
        await p.finish();
        const key = `${mix.replace(/-/g, '_')}_x${factor}`;
        out[`${key}_tpr`] = tp / Math.max(1, pos);
        out[`${key}_fpr`] = fp / Math.max(1, neg);
        line.push(`x${factor} TPR ${(tp / Math.max(1, pos)).toFixed(3)} FPR ${((100 * fp) / Math.max(1, neg)).toFixed(2)}%`);
      }
      process.stderr.write(`shed: ${mix}: ${line.join(', ')}\n`);
    }
  } finally {
    await model.scorer.dispose();
  }
  return out;
}
