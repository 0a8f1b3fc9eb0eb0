import { checkCaptureFile, openCaptureFiles } from '../capture/file-source';
import { DecodeCounters } from '../capture/decode';
import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { FEATURE_COUNT } from '../features/schema';
import type { OpenedModel } from './open-scorer';
import { ScoringPipeline } from './scoring-pipeline';
import { reportSourceProblems } from './source-report';

/**
 * Every packet's final score, in frame order, through the replay pipeline (no outputs).
 * `visit` sees each packet with its score (evaluation joins labels here). The actor verdict
 * raises what it holds to `alertThreshold` (default: the model's threshold), as replay does.
 */
export async function scoreCapture(
  files: string[],
  model: OpenedModel,
  opts: { stride?: number; batch?: number; verdicts?: boolean; alertThreshold?: number },
  visit: (p: DecodedPacket, score: number) => void,
): Promise<{ packets: number; windows: number }> {
  for (const f of files) await checkCaptureFile(f);
  const counters = new DecodeCounters();
  const pipeline = new ScoringPipeline({
    scaler: model.scaler, scorer: model.scorer, window: model.window, stride: opts.stride ?? model.stride, features: FEATURE_COUNT,
    batchWindows: opts.batch ?? 512,
    counters,
    verdicts: opts.verdicts,
    alertThreshold: opts.alertThreshold ?? model.threshold,
    onFinal: (final) => {
      for (let i = 0; i < final.length; i++) visit(final.decoded(i), final.score(i));
    },
  });
  const source = openCaptureFiles(files);
  for await (const batch of source) await pipeline.push(batch);
  await pipeline.finish();
  reportSourceProblems(source, counters);
  return { packets: pipeline.packets, windows: pipeline.windowsScored };
}
