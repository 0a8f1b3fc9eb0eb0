import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from './tf';
import { LlnError } from '../errors';
// build-model imports every custom layer module, registering them before any load.
import { buildInferenceModel, validateModelConfig, type ModelConfig } from './build-model';
import { fileLoadHandler, fileSaveHandler, MODEL_JSON, WEIGHTS_BIN } from './file-io-handler';
import { checkWeightsFinite, probeModel } from './model-check';
import { Scaler } from '../features/scaler';
import type { FeatureSchema as ScalerSchema } from '../features/schema';

export interface FeatureSchema {
  version: string;
  features: { name: string }[];
}

export interface ThresholdRecord {
  value: number;
  method: string;
  [k: string]: unknown;
}

export interface ModelDirContents {
  model: tf.LayersModel;
  config: ModelConfig;
  scaler: object;
  schema: FeatureSchema;
  threshold: ThresholdRecord;
  report: object;
}

export interface LoadedModel {
  dir: string;
  model: tf.LayersModel;
  /** Same layers and weights, outputs [score B×1, attention per packet B×W]. */
  inference: tf.LayersModel;
  config: ModelConfig;
  scalerJson: unknown;
  threshold: number;
  thresholdRecord: ThresholdRecord;
  /** `<dir basename>@<first 12 hex of sha256>`: names the exact model in alerts. */
  id: string;
  /** sha256 over model.json then weights.bin. */
  sha256: string;
  schema: FeatureSchema;
}

export const MODEL_DIR_FILES = [MODEL_JSON, WEIGHTS_BIN, 'scaler.json', 'features.json', 'threshold.json'] as const;
const CONFIG_KEY = 'llnModelConfig';

function writeJson(dir: string, name: string, value: unknown): void {
  writeFileSync(path.join(dir, name), JSON.stringify(value, null, 2) + '\n');
}

/** Writes a complete model directory: the tfjs model plus everything needed to serve it. */
export async function saveModelDir(dir: string, c: ModelDirContents): Promise<void> {
  if (c.schema.features.length !== c.config.features) {
    throw new LlnError('LLN_E_SCHEMA_MISMATCH', `model has ${c.config.features} input features but the schema lists ${c.schema.features.length}; rebuild the model with the schema's feature count`);
  }
  mkdirSync(dir, { recursive: true });
  // The config rides inside model.json so the two can never be separated.
  c.model.setUserDefinedMetadata({ [CONFIG_KEY]: c.config as unknown as Record<string, never> });
  await c.model.save(fileSaveHandler(dir));
  writeJson(dir, 'scaler.json', c.scaler);
  writeJson(dir, 'features.json', c.schema);
  writeJson(dir, 'threshold.json', c.threshold);
  writeJson(dir, 'training-report.json', c.report);
}

function readJson<T>(dir: string, name: string): T {
  const file = path.join(dir, name);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new LlnError('LLN_E_MODEL', `${file} is unreadable or not JSON (${(err as Error).message}); retrain with \`lln-detect train\``, { cause: err });
  }
}

export function modelDirSha256(dir: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(path.join(dir, MODEL_JSON)));
  h.update(readFileSync(path.join(dir, WEIGHTS_BIN)));
  return h.digest('hex');
}

function checkSchema(dir: string, found: FeatureSchema, expected: FeatureSchema): void {
  if (found.version !== expected.version) {
    throw new LlnError('LLN_E_SCHEMA_MISMATCH', `model ${dir} was trained on feature schema ${found.version} but this lln-detect computes ${expected.version}; retrain it with \`lln-detect train\` or use a matching version`);
  }
  const a = found.features.map((f) => f.name).join(',');
  const b = expected.features.map((f) => f.name).join(',');
  if (a !== b) {
    throw new LlnError('LLN_E_SCHEMA_MISMATCH', `model ${dir} lists different features than schema ${expected.version} defines (same version, different names/order); retrain it with \`lln-detect train\``);
  }
}

/**
 * Loads and checks a model directory. `expectedSchema` is the feature schema this program
 * computes; pass null only where the caller already checked it (the scoring worker).
 * Requires an initialised backend (initBackend) first.
 */
export async function loadModelDir(dir: string, expectedSchema: FeatureSchema | null): Promise<LoadedModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LlnError('LLN_E_MODEL', `${dir} is not a model directory: it does not exist; train one with \`lln-detect train\` or omit --model for the shipped default`);
  }
  for (const f of MODEL_DIR_FILES) {
    if (!existsSync(path.join(dir, f))) {
      throw new LlnError('LLN_E_MODEL', `${dir} is not a model directory: missing ${f}; train one with \`lln-detect train\` or omit --model for the shipped default`);
    }
  }
  const schema = readJson<FeatureSchema>(dir, 'features.json');
  if (typeof schema?.version !== 'string' || !Array.isArray(schema.features)) {
    throw new LlnError('LLN_E_MODEL', `${path.join(dir, 'features.json')} has no version/features; retrain with \`lln-detect train\``);
  }
  if (expectedSchema) checkSchema(dir, schema, expectedSchema);
  const thresholdRecord = readJson<ThresholdRecord>(dir, 'threshold.json');
  const thresholdFile = path.join(dir, 'threshold.json');
  if (typeof thresholdRecord?.value !== 'number' || !Number.isFinite(thresholdRecord.value)) {
    throw new LlnError('LLN_E_MODEL', `${thresholdFile} has no numeric "value"; recalibrate or retrain the model, or restore ${thresholdFile}`);
  }
  // Scores are probabilities: a threshold outside [0, 1] flags everything or nothing.
  if (thresholdRecord.value < 0 || thresholdRecord.value > 1) {
    throw new LlnError('LLN_E_MODEL', `${thresholdFile} has "value" ${thresholdRecord.value}, outside [0, 1]; recalibrate or retrain the model, or restore ${thresholdFile}`);
  }
  const scalerJson = readJson<unknown>(dir, 'scaler.json');
  // Checked here, where the model loads (in the scoring worker too), so a bad scaler fails the load.
  Scaler.fromJSON(scalerJson, (expectedSchema ?? schema) as ScalerSchema, path.join(dir, 'scaler.json'));

  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileLoadHandler(dir));
  } catch (err) {
    if (err instanceof LlnError) throw err;
    throw new LlnError('LLN_E_MODEL', `${dir}: cannot load the model (${(err as Error).message}); retrain with \`lln-detect train\``, { cause: err });
  }
  const meta = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const config = meta?.[CONFIG_KEY] as ModelConfig | undefined;
  try {
    if (!config) throw new Error('model.json has no model config in userDefinedMetadata');
    validateModelConfig(config);
    if (config.features !== schema.features.length) throw new Error(`config has ${config.features} features, features.json ${schema.features.length}`);
  } catch (err) {
    model.dispose();
    throw new LlnError('LLN_E_MODEL', `${dir}: ${(err as Error).message}; retrain with \`lln-detect train\``, { cause: err });
  }
  let inference: tf.LayersModel;
  try {
    checkWeightsFinite(model, dir);
    inference = buildInferenceModel(model);
    probeModel(inference, config.window, config.features, dir);
  } catch (err) {
    model.dispose(); // inference shares its variables
    throw err;
  }
  const sha256 = modelDirSha256(dir);
  return {
    dir, model, inference, config, scalerJson,
    threshold: thresholdRecord.value, thresholdRecord,
    id: `${path.basename(path.resolve(dir))}@${sha256.slice(0, 12)}`, sha256, schema,
  };
}
