import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { LlnError } from '../errors';
import { PACKAGE_ROOT } from '../paths';
import { allowedKeys, closestKey } from './config-suggest';
import { DaemonConfigSchema, type DaemonConfig } from './config-schema';
import { pgTarget } from '../fleet/pg-target';

export type { DaemonConfig } from './config-schema';

/** The commented example shipped beside package.json (`lln-detect config example`). */
export function exampleConfig(): string {
  return readFileSync(path.join(PACKAGE_ROOT, 'config.example.yaml'), 'utf8');
}

/** interfaces[0].snaplen — the spelling a user sees in the YAML. */
function keyPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(top level)';
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `'${v}'`;
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = keyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(DaemonConfigSchema, issue.path);
    const matches = issue.keys.map((k) => closestKey(k, allowed));
    const hints = issue.keys.length === 1 ? matches.filter(Boolean).map((m) => `'${m}'`)
      : matches.map((m, i) => (m ? `'${issue.keys[i]}' → '${m}'` : null)).filter(Boolean);
    const hint = hints.length > 0 ? `did you mean ${hints.join(', ')}?` : `allowed here: ${allowed.join(', ')}`;
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (${hint})`;
  }
  if (issue.code === 'invalid_union' || issue.code === 'invalid_type' || issue.code === 'too_small' || issue.code === 'too_big' || issue.code === 'custom' || issue.code === 'invalid_value' || issue.code === 'invalid_format') {
    return `${where}: expected ${issue.message}, got ${show(issue.input)}`;
  }
  return `${where}: ${issue.message}`;
}

/** Problems named in one error line; a pathological file can have hundreds. */
export const MAX_PROBLEMS = 10;

/**
 * Every problem in one line (the first `max`): an operator fixes them all in one go instead of
 * one per start. Numbered, since a problem's own text may hold '; '.
 */
export function listProblems(problems: string[], max = MAX_PROBLEMS): string {
  if (problems.length === 1) return problems[0]!;
  const shown = problems.slice(0, max).map((p, i) => `${i + 1}. ${p}`).join('; ');
  const rest = problems.length - max;
  return `${problems.length} problems: ${shown}${rest > 0 ? `; and ${rest} more` : ''}`;
}

/**
 * Typos first (a misspelt key is the news), and a required key reported missing where a typo
 * beside it suggests that very key is left out: it is the same problem, said once.
 */
function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  const typos = issues.filter((i) => i.code === 'unrecognized_keys');
  const meant = new Set<string>();
  for (const t of typos) {
    const allowed = allowedKeys(DaemonConfigSchema, t.path);
    for (const k of t.keys) {
      const m = closestKey(k, allowed);
      if (m) meant.add(keyPath([...t.path, m]));
    }
  }
  const rest = issues.filter((i) => i.code !== 'unrecognized_keys' && !(i.input === undefined && meant.has(keyPath(i.path))));
  return [...typos, ...rest].map(describeIssue);
}

/** Relative paths in the config are relative to the config file, not to wherever the daemon was started. */
function resolvePaths(c: DaemonConfig, base: string): DaemonConfig {
  const r = (p: string): string => path.resolve(base, p);
  const out: DaemonConfig = { ...c, stateDir: r(c.stateDir) };
  if (c.spool) out.spool = { ...c.spool, dir: r(c.spool.dir), ...(c.spool.processedDir ? { processedDir: r(c.spool.processedDir) } : {}) };
  if (c.model.dir) out.model = { ...c.model, dir: r(c.model.dir) };
  out.outputs = { ...c.outputs, sqlite: c.outputs.sqlite === false ? false : r(c.outputs.sqlite) };
  if (c.outputs.csv) out.outputs.csv = { ...c.outputs.csv, path: r(c.outputs.csv.path) };
  if (c.outputs.jsonl && c.outputs.jsonl.path !== 'stdout') out.outputs.jsonl = { path: r(c.outputs.jsonl.path) };
  if (c.logging.file) out.logging = { ...c.logging, file: r(c.logging.file) };
  if (c.outputs.postgres?.passwordFile) out.outputs.postgres = { ...c.outputs.postgres, passwordFile: r(c.outputs.postgres.passwordFile) };
  return out;
}

/**
 * `model:` followed only by comments is null in YAML; to a reader it means "defaults", so null
 * values in mappings count as left out. A YAML alias inside its own anchor (`a: &a [*a]`) makes a
 * value that contains itself; no setting can be one, so it is refused by its key path (walking it
 * would never end).
 */
function dropNulls(v: unknown, file: string, at: PropertyKey[] = [], open = new Set<object>()): unknown {
  if (!v || typeof v !== 'object') return v;
  if (open.has(v)) {
    throw new LlnError('LLN_E_CONFIG', `config ${file}: ${keyPath(at)}: a YAML alias refers to the value that contains it (a cycle); replace the alias with the value itself`);
  }
  open.add(v);
  try {
    if (Array.isArray(v)) return v.map((x, i) => dropNulls(x, file, [...at, i], open));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x, file, [...at, k], open);
    return out;
  } finally {
    open.delete(v);
  }
}

/** Parse and validate YAML text; `file` names the source in errors and anchors relative paths. */
export function parseConfig(textIn: string, file: string): DaemonConfig {
  const doc = parseDocument(textIn, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const at = pos ? `line ${pos.line}:${pos.col}` : 'YAML';
    // prettyErrors appends " at line L, column C:" and a code excerpt; keep the one-line part.
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new LlnError('LLN_E_CONFIG', `config ${file}: ${at}: ${msg}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (e) {
    // yaml refuses alias expansions that grow without bound ("billion laughs").
    throw new LlnError('LLN_E_CONFIG', `config ${file}: YAML: ${(e as Error).message}; write the values out instead of nesting aliases`, { cause: e });
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LlnError('LLN_E_CONFIG', `config ${file}: expected a mapping of settings (key: value), got ${show(raw)}`);
  }
  // `user:` left empty means "no user to drop to" (keep root), not "the default user".
  if ((raw as Record<string, unknown>).user === null) (raw as Record<string, unknown>).user = '';
  const parsed = DaemonConfigSchema.safeParse(dropNulls(raw, file), { reportInput: true });
  if (!parsed.success) {
    throw new LlnError('LLN_E_CONFIG', `config ${file}: ${listProblems(describeIssues(parsed.error.issues))}`);
  }
  const cfg = resolvePaths(parsed.data, path.dirname(path.resolve(file)));
  const pg = cfg.outputs.postgres;
  // The URL (no password in it), the password file and the sensor id are checked here, so
  // `config check` and a start both refuse them in one line.
  if (pg) pgTarget({ url: pg.url, passwordFile: pg.passwordFile, sensor: pg.sensor, where: `config ${file}: outputs.postgres` });
  return cfg;
}

export function loadConfig(file: string): DaemonConfig {
  let textIn: string;
  try {
    if (statSync(file).isDirectory()) throw new LlnError('LLN_E_CONFIG', `config ${file}: is a directory; pass the YAML file (e.g. /etc/lln-detect/config.yaml)`);
    textIn = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof LlnError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file; start from the example: lln-detect config example > ${file}` : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new LlnError('LLN_E_CONFIG', `config ${file}: ${why}`, { cause: e });
  }
  return parseConfig(textIn, file);
}
