import { LlnError } from '../errors';

/**
 * Caps on the context tables. Each entry costs a few hundred bytes, so the defaults bound the
 * context state to roughly 100-150 MB however many hosts a scan or flood invents.
 */
export interface ContextOptions {
  /** Source hosts remembered (default 100,000). */
  maxHosts?: number;
  /** Host pairs remembered (default 200,000). */
  maxChannels?: number;
  /** Flows (bidirectional 5-tuples) remembered (default 200,000). */
  maxSockets?: number;
  /** Outstanding ARP requests remembered (default 50,000). */
  maxArpRequests?: number;
}

export const DEFAULT_CONTEXT_OPTIONS: Required<ContextOptions> = Object.freeze({
  maxHosts: 100_000,
  maxChannels: 200_000,
  maxSockets: 200_000,
  maxArpRequests: 50_000,
});

export function resolveContextOptions(opts: ContextOptions = {}): Required<ContextOptions> {
  const r = { ...DEFAULT_CONTEXT_OPTIONS };
  for (const key of Object.keys(DEFAULT_CONTEXT_OPTIONS) as Array<keyof ContextOptions>) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 2) {
      throw new LlnError('LLN_E_CONFIG', `context option ${key} must be an integer >= 2 (got ${String(v)}); fix the setting or leave it out for the default`);
    }
    r[key] = v;
  }
  return r;
}
