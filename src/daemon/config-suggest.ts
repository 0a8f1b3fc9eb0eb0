import type { z } from 'zod';

/**
 * "did you mean …?" for a misspelt config key: the keys the schema allows at a path, and the
 * closest one to what was written. Reads zod's schema definitions (object shape, optional/default
 * wrappers, array elements, pipes), so the suggestions can never drift from the schema.
 */
export function allowedKeys(schema: z.core.$ZodType, keyPath: ReadonlyArray<PropertyKey>): string[] {
  let s: z.core.$ZodType | undefined = schema;
  for (let i = 0; s !== undefined; ) {
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') {
      s = def.innerType as z.core.$ZodType;
    } else if (def.type === 'pipe') {
      s = def.in as z.core.$ZodType;
    } else if (i === keyPath.length) {
      return def.type === 'object' ? Object.keys(def.shape as object) : [];
    } else if (def.type === 'object') {
      s = (def.shape as Record<string, z.core.$ZodType>)[String(keyPath[i++])];
    } else if (def.type === 'array') {
      s = def.element as z.core.$ZodType;
      i++;
    } else {
      return [];
    }
  }
  return [];
}

/** The allowed key closest to `key` (at most 2 edits, or differing only in case), if any. */
export function closestKey(key: string, allowed: string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const a of allowed) {
    const d = a.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, a);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute; a transposition counts as two). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
