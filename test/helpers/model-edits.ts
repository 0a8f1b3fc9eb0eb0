import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Breaking a copy of a model directory on purpose (model-validation tests, the daemon fault run). */

/** Rewrites one JSON file of the model directory through `edit`. */
export function editJson(dir: string, file: string, edit: (j: Record<string, unknown>) => void): void {
  const p = path.join(dir, file);
  const j = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(p, JSON.stringify(j));
}

/** Rewrites weights.bin as float32 values, keeping its size. */
export function editWeights(dir: string, edit: (w: Float32Array) => void): void {
  const p = path.join(dir, 'weights.bin');
  const w = new Float32Array(new Uint8Array(readFileSync(p)).buffer);
  edit(w);
  writeFileSync(p, new Uint8Array(w.buffer));
}
