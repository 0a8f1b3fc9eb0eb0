import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LlnError } from '../errors';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../paths';
import { parseConfig, type DaemonConfig } from './config-load';
import { sandboxProblems, type ServicePath } from './unit-sandbox';

/**
 * `lln-detect install-service [--dry-run]`: system user, systemd unit, default config.
 *
 * LLN_INSTALL_ROOT (default /) puts every file under another root (tests, image builds): the
 * user is then added with `useradd --prefix ROOT` (ROOT/etc/passwd must exist) and systemctl
 * is never called, since the running systemd does not manage that tree.
 */
export interface InstallServiceOptions {
  dryRun?: boolean;
}

const USER = 'lln-detect';
const HOME = '/var/lib/lln-detect';
const UNIT_PATH = '/etc/systemd/system/lln-detect.service';
const CONFIG_PATH = '/etc/lln-detect/config.yaml';

interface Action {
  /** What the user reads, e.g. "write /etc/systemd/system/lln-detect.service". */
  describe: string;
  run?: () => void;
}

export async function installService(opts: InstallServiceOptions): Promise<void> {
  const root = path.resolve(process.env.LLN_INSTALL_ROOT || '/');
  const liveRoot = root === '/';
  const dry = opts.dryRun === true;
  // The copy the Debian package installed (scripts/build-deb.sh) came with its unit, user and config:
  // a unit written here into /etc/systemd/system would only shadow the package's.
  if (existsSync(path.join(PACKAGE_ROOT, 'debian-package'))) {
    process.stdout.write(`${PACKAGE_ROOT} was installed by the Debian package lln-detect: its unit /lib/systemd/system/lln-detect.service, the user lln-detect and ${CONFIG_PATH} are in place already; nothing to do.\nnext: edit ${CONFIG_PATH} (interfaces), lln-detect config check ${CONFIG_PATH}, systemctl start lln-detect\n`);
    return;
  }
  if (!dry && liveRoot && process.getuid?.() !== 0) {
    throw new LlnError('LLN_E_USAGE', 'install-service changes /etc and adds a system user: run it as root (sudo lln-detect install-service), or see what it would do with --dry-run');
  }
  const at = (p: string) => path.join(root, p);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const actions: Action[] = [];

  // 0. Every path the service will need must be visible to it through the unit's sandboxing.
  const cli = path.join(__dirname, '..', 'cli', 'main.js');
  const execStart = `${quote(process.execPath)} ${quote(cli)} daemon --config ${CONFIG_PATH}`;
  const unit = unitText(execStart);
  const problems = sandboxProblems(unit, servicePaths(cli, readOrNull(at(CONFIG_PATH)), out));
  const fatal = problems.filter((p) => p.what.startsWith('ExecStart'));
  if (fatal.length > 0 && liveRoot && !dry) {
    throw new LlnError('LLN_E_USAGE', `install-service: ${fatal[0]!.message}; the service could not start, so nothing was installed`);
  }

  // 1. The system user the unit runs as.
  const useradd = ['--system', '--home-dir', HOME, '--shell', '/usr/sbin/nologin', ...(liveRoot ? [] : ['--prefix', root]), USER];
  if (userExists(root)) actions.push({ describe: `keep existing user ${USER}` });
  else actions.push({ describe: `create system user ${USER}: useradd ${useradd.join(' ')}`, run: () => runTool('useradd', useradd) });

  // 2. The unit, with ExecStart pointing at this installation.
  const unitExisting = readOrNull(at(UNIT_PATH));
  if (unitExisting === unit) actions.push({ describe: `keep ${at(UNIT_PATH)} (already up to date)` });
  else actions.push({ describe: `${unitExisting === null ? 'write' : 'update'} ${at(UNIT_PATH)} with ExecStart=${execStart}`, run: () => writeFile(at(UNIT_PATH), unit) });

  // 3. The config: written once, never overwritten (it holds the operator's edits).
  if (existsSync(at(CONFIG_PATH))) actions.push({ describe: `keep existing ${at(CONFIG_PATH)} (never overwritten)` });
  else {
    const example = path.join(PACKAGE_ROOT, 'config.example.yaml');
    actions.push({ describe: `write ${at(CONFIG_PATH)} from ${example}`, run: () => writeFile(at(CONFIG_PATH), readFileSync(example, 'utf8')) });
  }

  // 4. Tell systemd about the unit, when this is the system it manages.
  if (!liveRoot) actions.push({ describe: `skip systemctl daemon-reload (files written under ${root}, not the running system)` });
  else if (!existsSync('/run/systemd/system')) actions.push({ describe: 'skip systemctl daemon-reload (systemd is not running as PID 1 here)' });
  else actions.push({ describe: 'systemctl daemon-reload', run: () => runTool('systemctl', ['daemon-reload']) });

  for (const a of actions) {
    out(`${dry && a.run ? 'would ' : ''}${a.describe}`);
    if (!dry) a.run?.();
  }
  for (const p of problems) out(`warning: ${p.message}${dry && liveRoot && p.what.startsWith('ExecStart') ? ' (a real install refuses this)' : ''}`);
  if (!existsSync(path.join(DEFAULT_MODEL_DIR, 'model.json'))) out(`warning: no shipped model in ${DEFAULT_MODEL_DIR}; set model.dir in ${CONFIG_PATH} (train one: lln-detect train)`);
  const me = `${quote(process.execPath)} ${quote(cli)}`; // lln-detect may not be on root's PATH
  out('');
  out(dry ? 'dry run: nothing was changed. Next steps after a real install:' : 'next steps:');
  out(`  1. edit ${CONFIG_PATH}: set interfaces (${me} interfaces lists them)`);
  out(`  2. ${me} config check ${CONFIG_PATH}`);
  out('  3. systemctl enable --now lln-detect');
  out('  4. journalctl -u lln-detect -f; curl -s 127.0.0.1:9910/metrics | grep ^lln_');
}

/** The shipped unit with this installation's ExecStart (and docs path) instead of /usr/bin/lln-detect. */
function unitText(execStart: string): string {
  const template = readFileSync(path.join(PACKAGE_ROOT, 'systemd', 'lln-detect.service'), 'utf8');
  if (!/^ExecStart=.*$/m.test(template)) throw new LlnError('LLN_E_NOT_FOUND', `systemd/lln-detect.service in ${PACKAGE_ROOT} has no ExecStart= line; reinstall the package`);
  return template
    .replace(/^ExecStart=.*$/m, `ExecStart=${execStart}`)
    .replace(/^Documentation=.*$/m, `Documentation=file://${path.join(PACKAGE_ROOT, 'docs', 'daemon.md')}`);
}

/** systemd splits ExecStart= on spaces unless the word is double-quoted. */
function quote(word: string): string {
  return /[\s"\\]/.test(word) ? `"${word.replace(/[\\"]/g, '\\$&')}"` : word;
}

function userExists(root: string): boolean {
  if (root === '/') return spawnSync('getent', ['passwd', USER], { stdio: 'ignore' }).status === 0; // NSS too (LDAP, …)
  const passwd = readOrNull(path.join(root, 'etc', 'passwd')) ?? '';
  return passwd.split('\n').some((l) => l.startsWith(`${USER}:`));
}

/**
 * What the service reads and writes: node and the CLI (ExecStart), the package's node_modules, and
 * the paths of the config it will run with (the installed one, else the example it gets).
 */
function servicePaths(cli: string, installedConfig: string | null, out: (line: string) => void): ServicePath[] {
  const paths: ServicePath[] = [
    { what: 'ExecStart node', path: process.execPath, write: false },
    { what: 'ExecStart CLI', path: cli, write: false },
  ];
  const modules = path.join(PACKAGE_ROOT, 'node_modules');
  if (existsSync(modules)) paths.push({ what: 'node_modules', path: modules, write: false });
  let cfg: DaemonConfig;
  try {
    cfg = parseConfig(installedConfig ?? readFileSync(path.join(PACKAGE_ROOT, 'config.example.yaml'), 'utf8'), CONFIG_PATH);
  } catch (e) {
    out(`warning: the paths of ${CONFIG_PATH} were not checked against the unit: ${(e as Error).message}`);
    return paths;
  }
  paths.push({ what: 'model.dir', path: cfg.model.dir ?? DEFAULT_MODEL_DIR, write: false });
  if (cfg.spool) {
    paths.push({ what: 'spool.dir', path: cfg.spool.dir, write: cfg.spool.processedDir !== undefined });
    if (cfg.spool.processedDir) paths.push({ what: 'spool.processedDir', path: cfg.spool.processedDir, write: true });
  }
  paths.push({ what: 'stateDir', path: cfg.stateDir, write: true });
  if (cfg.outputs.sqlite !== false) paths.push({ what: 'outputs.sqlite', path: cfg.outputs.sqlite, write: true });
  if (cfg.outputs.csv) paths.push({ what: 'outputs.csv.path', path: cfg.outputs.csv.path, write: true });
  if (cfg.outputs.jsonl && cfg.outputs.jsonl.path !== 'stdout') paths.push({ what: 'outputs.jsonl.path', path: cfg.outputs.jsonl.path, write: true });
  if (cfg.logging.file) paths.push({ what: 'logging.file', path: cfg.logging.file, write: true });
  return paths;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  // Readable by the service user (ConfigurationDirectory is not chowned); nothing in it is secret.
  writeFileSync(file, text, { mode: 0o644 });
}

function runTool(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || r.stdout).trim() || `exit ${r.status}`;
    throw new LlnError('LLN_E_OUTPUT', `${cmd} ${args.join(' ')} failed: ${why}`);
  }
}
