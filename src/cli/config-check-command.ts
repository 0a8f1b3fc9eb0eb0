import { LlnError } from '../errors';
import { checkDaemonConfig } from '../daemon/config-check';
import { listProblems, loadConfig } from '../daemon/config-load';

/**
 * `lln-detect config check FILE`: one stdout line per thing checked (`ok`, `warning`, `error`),
 * then `FILE: ok` — or, when anything is wrong, a one-line LLN_E_CONFIG error (exit 7).
 */
export async function runConfigCheck(file: string): Promise<void> {
  const cfg = loadConfig(file);
  const { effectiveFilter } = await import('../daemon/capture-filter');
  const findings = await checkDaemonConfig(cfg, { filterFor: (ifc) => effectiveFilter(ifc, cfg) });
  process.stdout.write(`${file}: keys and values ok\n`);
  for (const f of findings) process.stdout.write(`${f.what}: ${f.level === 'ok' ? 'ok' : f.level}: ${f.message}\n`);
  const errors = findings.filter((f) => f.level === 'error');
  const warnings = findings.filter((f) => f.level === 'warning').length;
  if (errors.length > 0) {
    throw new LlnError('LLN_E_CONFIG', `config ${file}: ${listProblems(errors.map((e) => `${e.what}: ${e.message}`))}`);
  }
  process.stdout.write(`${file}: ok${warnings > 0 ? `, with ${warnings} warning${warnings > 1 ? "s" : ""}` : ""}\n`);
}
