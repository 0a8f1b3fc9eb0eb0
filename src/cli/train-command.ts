import path from 'node:path';
import { DEFAULT_MODEL_DIR } from '../paths';
import { runTraining, type TrainingOptions } from '../train/run-training';
import { promiseLine } from '../model/false-incidents';

/** commander's options: TrainingOptions with the CLI's own names for files and out. */
type TrainCliOptions = Omit<TrainingOptions, 'files' | 'out' | 'initModel'> & { pcapFile: string[]; out?: string; initModel?: string | true };

export async function runTrain(o: TrainCliOptions): Promise<void> {
  const out = o.out ?? path.join('models', new Date().toISOString().replace(/[:.]/g, '-'));
  const initModel = o.initModel === true ? DEFAULT_MODEL_DIR : o.initModel;
  const s = await runTraining({ ...o, files: o.pcapFile, out, initModel });
  const v = s.validation;
  const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  process.stdout.write(
    [
      `model written to ${s.out}`,
      `packets ${s.packets}  training windows ${s.trainWindows}  validation windows ${s.valWindows}`,
      epochsLine(s),
      promiseLine(s.threshold, s.falseIncidents),
      `held-out packets (the last validation-split of each capture, real and synthetic) at the threshold: precision ${f(v.precision)} recall ${f(v.recall)} fpr ${f(v.fpr)} f1 ${f(v.f1)} roc-auc ${f(v.rocAuc)} pr-auc ${f(v.prAuc)}`,
    ].join('\n') + '\n',
  );
}

/** How training ended and which weights were kept, in words. */
export function epochsLine(s: { epochs: number; maxEpochs: number; stoppedEarly: boolean; interrupted: boolean; keptEpochs: number[]; patience: number }): string {
  const ran = `${s.epochs} of at most ${s.maxEpochs} epochs`;
  const why = s.interrupted
    ? 'interrupted'
    : s.stoppedEarly
      ? `stopped early: the held-out check did not improve for ${s.patience} epochs`
      : 'ran them all';
  const kept = s.keptEpochs.length > 1 ? `kept the mean of epochs ${s.keptEpochs.join(', ')} (the best by the held-out check)` : `kept epoch ${s.keptEpochs[0]} (the best by the held-out check)`;
  return `epochs: ${ran}, ${why}; ${kept}`;
}
