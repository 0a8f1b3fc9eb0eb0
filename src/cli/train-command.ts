import path from 'node:path';
import { runTraining, type TrainingOptions } from '../train/run-training';

/** commander's options: TrainingOptions with the CLI's own names for files and out. */
type TrainCliOptions = Omit<TrainingOptions, 'files' | 'out'> & { pcapFile: string[]; out?: string };

export async function runTrain(o: TrainCliOptions): Promise<void> {
  const out = o.out ?? path.join('models', new Date().toISOString().replace(/[:.]/g, '-'));
  const s = await runTraining({ ...o, files: o.pcapFile, out });
  const v = s.validation;
  const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  process.stdout.write(
    [
      `model written to ${s.out}`,
      `packets ${s.packets}  training windows ${s.trainWindows}  validation windows ${s.valWindows}  epochs ${s.epochs}`,
      `threshold ${s.threshold.toFixed(4)}`,
      `validation (real + synthetic windows): accuracy ${f(v.accuracy)} precision ${f(v.precision)} recall ${f(v.recall)} fpr ${f(v.fpr)} f1 ${f(v.f1)} roc-auc ${f(v.rocAuc)} pr-auc ${f(v.prAuc)}`,
    ].join('\n') + '\n',
  );
}
