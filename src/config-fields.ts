import { z } from 'zod';
import { parseDuration, parseSize } from './learn/duration';

/**
 * The config's leaf types (zod), shared by the daemon's schema and the learning section's. Each
 * carries the words "what is allowed" that config-load.ts puts in its one-line error.
 */

export const text = (what: string) => z.string({ error: what }).min(1, { error: what });
export const int = (lo: number, hi: number) => {
  const what = `a whole number between ${lo} and ${hi}`;
  return z.number({ error: what }).int({ error: what }).min(lo, { error: what }).max(hi, { error: what });
};
export const num = (lo: number, hi: number) => {
  const what = `a number between ${lo} and ${hi}`;
  return z.number({ error: what }).min(lo, { error: what }).max(hi, { error: what });
};
export const bool = () => z.boolean({ error: 'true or false' });

/** "7d", "12h", "90s": kept as text in the config, read with parseDuration. */
export const duration = (what = "a duration such as '90s', '30m', '12h', '7d' or '2w'") =>
  z.string({ error: what }).refine((v) => parseDuration(v) !== null && parseDuration(v)! > 0, { error: what });
export const size = (what = "a size such as '512MB' or '2GB'") =>
  z.union([z.number({ error: what }).int({ error: what }).min(1, { error: what }), z.string({ error: what }).refine((v) => (parseSize(v) ?? 0) > 0, { error: what })], { error: what });
