import { statSync } from 'node:fs';
import path from 'node:path';
import { LlnError } from '../errors';

/**
 * --model names a directory. A path that exists but is a file (model.json itself, a tarball) gets
 * its own message; a missing path is left to the model loader, which says it does not exist.
 */
export function checkModelOption(dir: string): void {
  let isFile = false;
  try {
    isFile = !statSync(dir).isDirectory();
  } catch {
    return;
  }
  if (isFile) {
    const hint = path.basename(dir) === 'model.json' ? `pass its directory (${path.dirname(dir)})` : 'pass the directory holding model.json, scaler.json and threshold.json';
    throw new LlnError('LLN_E_MODEL', `--model ${dir} is a file, not a model directory; ${hint}, or omit --model for the shipped default`);
  }
}
