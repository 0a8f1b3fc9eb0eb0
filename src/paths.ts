import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The folder holding lln-detect's package.json, found by walking up from this file (works from src/ and dist/). */
function findPackageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'lln-detect') return dir;
      } catch {
        /* keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('lln-detect: cannot find the package root (package.json)');
    dir = up;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
/** The shipped default model, used when no --model is given. */
export const DEFAULT_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', 'default');
