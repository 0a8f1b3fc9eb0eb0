import { FEATURE_COUNT } from '../features/schema';
import { LlnError } from '../errors';
import { openScorer, type OpenedModel } from '../pipeline/open-scorer';
import type { DaemonConfig } from './config-schema';

/** `dir`: the sensor's own model (learning), which takes the place of model.dir. */
export async function openModel(cfg: DaemonConfig, dir?: string): Promise<OpenedModel> {
  return openScorer({ modelDir: dir ?? cfg.model.dir, backend: 'auto', worker: true, batch: 256 });
}

/** The model must fit this program's features, the config's window settings and the running pipeline's window. */
export function checkModelFits(cfg: DaemonConfig, model: OpenedModel, pipelineWindow: number): void {
  const fail = (msg: string) => {
    throw new LlnError('LLN_E_CONFIG', msg);
  };
  if (model.features !== FEATURE_COUNT) throw new LlnError('LLN_E_SCHEMA_MISMATCH', `model ${model.id} expects ${model.features} features, this program computes ${FEATURE_COUNT}; use a model trained by this version`);
  if (cfg.window.size !== undefined && cfg.window.size !== model.window) fail(`window.size ${cfg.window.size} differs from the window of model ${model.id} (${model.window}); leave window.size out`);
  if (model.window !== pipelineWindow) fail(`model ${model.id} has window ${model.window}, the running pipeline ${pipelineWindow}; restart the daemon to change the window`);
  const stride = cfg.window.stride ?? model.stride;
  if (stride > model.window) fail(`window.stride ${stride} is larger than the model's window (${model.window}): some packets would never be scored; use at most ${model.window}`);
}
