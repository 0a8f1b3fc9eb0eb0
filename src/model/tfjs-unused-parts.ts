/**
 * Loaded first by the scoring worker (scorer-worker.ts), before anything imports tfjs: the
 * `@tensorflow/tfjs` bundle requires the graph-model converter, the data API and the WebGL
 * backend, ~2.4 of the ~7 MB of JavaScript the worker compiles while the main thread waits for
 * its first scores, and inference on a layers model uses none of them (its backends are
 * tensorflow, wasm and cpu). Each is put in the module cache as an empty module, so the bundle's
 * require of it returns at once: loading tfjs took 166–178 instead of 204–245 ms of CPU (4 runs each).
 * Training (the train command, the learning child) runs elsewhere and loads tfjs whole.
 *
 * Not when tfjs-node is installed: it is a whole tfjs of its own, which may use those parts.
 */
import Module from 'node:module';
import path from 'node:path';

const UNUSED = ['@tensorflow/tfjs-converter', '@tensorflow/tfjs-data', '@tensorflow/tfjs-backend-webgl'];

function resolves(id: string, from?: string): string | null {
  try {
    return require.resolve(id, from ? { paths: [from] } : undefined);
  } catch {
    return null;
  }
}

export function skipUnusedTfjsParts(): void {
  if (resolves('@tensorflow/tfjs-node') !== null) return;
  const bundle = resolves('@tensorflow/tfjs');
  if (bundle === null) return;
  const from = path.dirname(bundle); // resolved as the bundle resolves them (its own copies, if any)
  for (const id of UNUSED) {
    const file = resolves(id, from);
    if (file === null || require.cache[file]) continue;
    const empty = new Module(file);
    empty.filename = file;
    empty.loaded = true;
    empty.exports = {};
    require.cache[file] = empty;
  }
}

skipUnusedTfjsParts();
