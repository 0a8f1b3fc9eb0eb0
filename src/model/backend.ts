import path from 'node:path';
import { tf } from './tf';
import { logger } from '../logger';
import { LlnError } from '../errors';

export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';

let wasmRegistered = false;

/**
 * tfjs-node is an optionalDependency whose install fails without internet (it downloads
 * libtensorflow): a failed require is expected, not an error.
 */
function tryNode(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** The folder holding the .wasm binaries: loaded from node_modules so it works offline. */
function wasmDistDir(): string {
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  return path.dirname(entry) + path.sep;
}

function registerWasm(): void {
  if (wasmRegistered) return;
  // The side-effect import registers the 'wasm' backend with our tf instance.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDistDir());
  wasmRegistered = true;
}

async function trySet(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch (err) {
    logger.debug(`tfjs backend ${name} unavailable: ${(err as Error).message}`);
    return false;
  }
}

/**
 * Pick the fastest tfjs backend that works here: tfjs-node (native TensorFlow) if its addon
 * loads, else wasm (+SIMD), else the pure-JS cpu backend (~20x slower; last resort).
 * An explicit preference that cannot be honoured is a user error.
 */
export async function initBackend(pref: BackendPreference = 'auto'): Promise<string> {
  // Prod mode: skips debug-only checks and tfjs's "install tfjs-node" console banner (we log
  // the chosen backend ourselves, and stderr belongs to our logger).
  tf.enableProdMode();
  const order: string[] = pref === 'auto' ? ['node', 'wasm', 'cpu'] : [pref];
  for (const want of order) {
    if (want === 'node') {
      if (tryNode() && (await trySet('tensorflow'))) return announce('tensorflow');
      continue;
    }
    if (want === 'wasm') {
      registerWasm();
      if (await trySet('wasm')) return announce('wasm');
      continue;
    }
    if (want === 'cpu' && (await trySet('cpu'))) return announce('cpu');
  }
  throw new LlnError('LLN_E_BACKEND', `tfjs backend '${pref}' is not available here; use --backend auto (or wasm/cpu)`);
}

function announce(name: string): string {
  const simd = name === 'wasm' ? ` simd=${String(tf.env().getBool('WASM_HAS_SIMD_SUPPORT'))}` : '';
  logger.info(`tfjs backend: ${name}${simd}`);
  return name;
}
