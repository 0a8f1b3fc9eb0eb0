import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openCaptureFiles, checkCaptureFile } from '../capture/file-source';
import { DecodeCounters } from '../capture/decode';
import { decodeBatches } from '../pipeline/decode-stream';
import { FeatureExtractor } from '../features/feature-extractor';
import { FEATURE_COUNT, featureNames } from '../features/schema';
import { Scaler } from '../features/scaler';
import { PACKET_COLUMNS, packetColumns } from './packet-columns';
import { checkWritable } from '../outputs/output-check';
import { TextFileOutput } from '../outputs/sync-output';
import { primeSource } from '../capture/primed-source';
import { csvCell } from '../outputs/csv-cell';
import { ExitCode, LlnError } from '../errors';
import { logger } from '../logger';
import { DEFAULT_MODEL_DIR } from '../paths';
import { reportSourceProblems } from '../pipeline/source-report';
import { jsonLine } from '../outputs/json-line';
import { checkModelOption } from './model-option';

export interface FeaturesOptions {
  format: 'csv' | 'jsonl';
  out?: string;
  limit?: number;
  raw?: boolean;
  model?: string;
}

/** Scaled features need the model's scaler; fall back to raw values when there is none. */
function loadScaler(opts: FeaturesOptions): Scaler | null {
  if (opts.raw) return null;
  if (opts.model) checkModelOption(opts.model);
  const dir = opts.model ?? DEFAULT_MODEL_DIR;
  const file = path.join(dir, 'scaler.json');
  if (!existsSync(file)) {
    if (opts.model) throw new LlnError('LLN_E_MODEL', `${dir} has no scaler.json; pass a model directory made by \`lln-detect train\`, or use --raw`);
    logger.warn(`no default model scaler at ${file}: writing raw (unscaled) features`);
    return null;
  }
  return Scaler.fromJSON(JSON.parse(readFileSync(file, 'utf8')));
}

/** `lln-detect features`: one row per packet, decoded fields then the model's feature vector. */
export async function runFeatures(files: string[], opts: FeaturesOptions): Promise<void> {
  // The same checks, in the same order, as replay: inputs readable, output writable, before any work.
  for (const f of files) await checkCaptureFile(f);
  if (opts.out) checkWritable(opts.out, '--out');
  const scaler = loadScaler(opts);
  const names = featureNames().map((n) => `f_${n}`);
  // The output is created only once the input is known to be a capture.
  const source = await primeSource(openCaptureFiles(files));
  const out = new TextFileOutput(opts.out);
  const counters = new DecodeCounters();
  const extractor = new FeatureExtractor();
  const limit = opts.limit ?? Infinity;
  let rows = 0;
  // A signal stops reading; the rows read so far are still written (exit 130, as documented).
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    source.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (opts.format === 'csv') out.line([...PACKET_COLUMNS, ...names].map(csvCell).join(','));
    outer: for await (const batch of decodeBatches(source, counters)) {
      for (const p of batch) {
        if (rows >= limit) {
          source.close();
          break outer;
        }
        const vec = new Float32Array(FEATURE_COUNT);
        extractor.extract(p, vec, 0);
        if (scaler) scaler.transform(vec, 0);
        const cols = packetColumns(p);
        if (opts.format === 'csv') {
          out.line([...Object.values(cols), ...Array.from(vec, roundFeature)].map(csvCell).join(','));
        } else {
          const { frame, timestamp, ...rest } = cols;
          const rec: Record<string, unknown> = rest;
          for (let i = 0; i < names.length; i++) rec[names[i]] = roundFeature(vec[i]);
          // The timestamp is a JSON number, written from its exact decimal text (not through a
          // double, which cannot hold nanoseconds at today's epoch).
          out.line(`{"frame":${frame},"timestamp":${timestamp},${jsonLine(rec).slice(1)}`);
        }
        rows++;
      }
      if (interrupted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    out.close();
  }
  reportSourceProblems(source, counters);
  logger.info(`features: ${rows} packets written${opts.out ? ` to ${opts.out}` : ''} (${scaler ? 'scaled' : 'raw'} features)${interrupted ? '; interrupted' : ''}`);
  if (interrupted) process.exitCode = ExitCode.INTERRUPTED;
}

/** Six significant digits: enough to compare, keeps files small. Float32 → shortest text. */
function roundFeature(x: number): number {
  return Number(x.toPrecision(6));
}
