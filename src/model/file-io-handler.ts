import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from './tf';
import { LlnError } from '../errors';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Write-then-rename so a reader (a daemon reloading its model) never sees half a file. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function toBuffer(weightData: tf.io.WeightData | undefined): Uint8Array {
  if (weightData === undefined) return new Uint8Array(0);
  const joined = Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData;
  return new Uint8Array(joined);
}

/**
 * Saves a model as tfjs's own file layout (model.json + one weights.bin shard), i.e. what
 * model.save('file://dir') writes under tfjs-node, which we cannot rely on being installed.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      mkdirSync(dir, { recursive: true });
      const weights = toBuffer(artifacts.weightData);
      const modelJson: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeAtomic(path.join(dir, WEIGHTS_BIN), weights);
      writeAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: { [key: string]: {} };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function readModelJson(dir: string): ModelJson {
  const file = path.join(dir, MODEL_JSON);
  let parsed: ModelJson;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (err) {
    throw new LlnError('LLN_E_MODEL', `${file} is unreadable or not JSON (${(err as Error).message}); retrain with \`lln-detect train\``, { cause: err });
  }
  if (!parsed || typeof parsed.modelTopology !== 'object' || !Array.isArray(parsed.weightsManifest)) {
    throw new LlnError('LLN_E_MODEL', `${file} is not a tfjs layers model (no modelTopology/weightsManifest); retrain with \`lln-detect train\``);
  }
  return parsed;
}

/** Reads what fileSaveHandler wrote, checking the weights' size against the manifest. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = readModelJson(dir);
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const buffers = json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(path.join(dir, p)));
      const total = buffers.reduce((s, b) => s + b.length, 0);
      const expected = specs.reduce((s, w) => s + w.shape.reduce((a, d) => a * d, 1) * (BYTES_PER_DTYPE[w.dtype] ?? 4), 0);
      if (total !== expected) {
        throw new LlnError('LLN_E_MODEL', `${path.join(dir, WEIGHTS_BIN)} is corrupt: ${total} bytes, model.json expects ${expected}; retrain or restore the model directory`);
      }
      const weightData = new Uint8Array(total);
      let off = 0;
      for (const b of buffers) { weightData.set(b, off); off += b.length; }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: weightData.buffer,
      };
    },
  };
}
