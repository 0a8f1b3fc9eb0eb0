import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { NOBODY, unprivilegedSkip } from './helpers/unprivileged';

/**
 * `lln-detect install-service` through the real CLI: --dry-run changes nothing (checked on a temp
 * root and on this machine's /), and a real install into a temp root (LLN_INSTALL_ROOT) runs the
 * real useradd (--prefix) and writes the real unit and config files.
 */
const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');
const IS_ROOT = process.getuid?.() === 0;
const HAVE_USERADD = spawnSync('useradd', ['--help'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-install-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function install(args: string[], env: Record<string, string> = {}, asUser?: number) {
  const cmd = asUser === undefined ? [process.execPath, CLI] : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', process.execPath, CLI];
  const r = spawnSync(cmd[0], [...cmd.slice(1), 'install-service', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A root with the account files useradd --prefix edits (copies of this machine's). */
function tempRoot(name: string): string {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'login.defs']) {
    if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, path.join(root, 'etc', f));
  }
  return root;
}

function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort().map((f) => `${f}:${statSync(path.join(dir, f)).size}`);
}

const UNIT = '/etc/systemd/system/lln-detect.service';
const CONFIG = '/etc/lln-detect/config.yaml';

test('--dry-run in a temp root prints every action and changes nothing', { skip: !HAVE_USERADD && 'useradd missing' }, () => {
  const root = tempRoot('dry');
  const before = listTree(root);
  const r = install(['--dry-run'], { LLN_INSTALL_ROOT: root });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(listTree(root), before, 'nothing written');
  assert.match(r.stdout, new RegExp(`^would create system user lln-detect: useradd --system --home-dir /var/lib/lln-detect --shell /usr/sbin/nologin --prefix ${root} lln-detect$`, 'm'));
  assert.ok(r.stdout.includes(`would write ${path.join(root, UNIT)} with ExecStart=${process.execPath} ${CLI} daemon --config ${CONFIG}\n`), r.stdout);
  assert.ok(r.stdout.includes(`would write ${path.join(root, CONFIG)} from ${path.join(PACKAGE_ROOT, 'config.example.yaml')}\n`), r.stdout);
  assert.match(r.stdout, /skip systemctl daemon-reload/);
  assert.match(r.stdout, /dry run: nothing was changed/);
  assert.match(r.stdout, /systemctl enable --now lln-detect/);
});

test('--dry-run on this machine (/) changes nothing', { skip: !IS_ROOT && 'needs root to prove it would have been allowed' }, () => {
  const had = { user: spawnSync('getent', ['passwd', 'lln-detect']).status === 0, unit: existsSync(UNIT), config: existsSync(CONFIG) };
  const passwd = readFileSync('/etc/passwd', 'utf8');
  try {
    const r = install(['--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync('/etc/passwd', 'utf8'), passwd);
    assert.equal(existsSync(UNIT), had.unit);
    assert.equal(existsSync(CONFIG), had.config);
    if (!had.user) assert.match(r.stdout, /^would create system user lln-detect: useradd --system .* lln-detect$/m);
  } finally {
    // Only if the dry run wrongly acted: undo exactly what it added.
    if (!had.user && spawnSync('getent', ['passwd', 'lln-detect']).status === 0) spawnSync('userdel', ['lln-detect']);
    if (!had.unit) rmSync(UNIT, { force: true });
    if (!had.config) rmSync(CONFIG, { force: true });
  }
});

test('real install into a temp root: user, unit with this ExecStart, config; a second run keeps the config', { skip: !HAVE_USERADD && 'useradd missing' }, () => {
  const root = tempRoot('real');
  const r = install([], { LLN_INSTALL_ROOT: root });
  assert.equal(r.status, 0, r.stderr);

  const user = readFileSync(path.join(root, 'etc', 'passwd'), 'utf8').split('\n').find((l) => l.startsWith('lln-detect:'));
  assert.ok(user, 'user added to ROOT/etc/passwd');
  const [, , uid, , , home, shell] = user.split(':');
  assert.ok(Number(uid) < 1000, `a system uid (${uid})`);
  assert.equal(home, '/var/lib/lln-detect');
  assert.equal(shell, '/usr/sbin/nologin');
  assert.ok(readFileSync(path.join(root, 'etc', 'group'), 'utf8').split('\n').some((l) => l.startsWith('lln-detect:')), 'group added');
  assert.equal(spawnSync('getent', ['passwd', 'lln-detect']).status === 0, false, 'this machine has no such user: the temp root was used');

  const unit = readFileSync(path.join(root, UNIT), 'utf8');
  const template = readFileSync(path.join(PACKAGE_ROOT, 'systemd', 'lln-detect.service'), 'utf8');
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].split(' ');
  assert.deepEqual(execStart, [process.execPath, CLI, 'daemon', '--config', CONFIG]);
  assert.ok(existsSync(execStart[1]), 'ExecStart names an existing CLI');
  const strip = (t: string) => t.split('\n').filter((l) => !/^(ExecStart|Documentation)=/.test(l));
  assert.deepEqual(strip(unit), strip(template), 'every other line of the shipped unit is kept');
  assert.equal(statSync(path.join(root, UNIT)).mode & 0o777, 0o644);

  const config = path.join(root, CONFIG);
  assert.equal(readFileSync(config, 'utf8'), readFileSync(path.join(PACKAGE_ROOT, 'config.example.yaml'), 'utf8'));
  // config check looks the interfaces up: the example's eth0 may not exist here, so check a copy on lo.
  const onLo = path.join(tmp, 'installed-on-lo.yaml');
  writeFileSync(onLo, readFileSync(config, 'utf8').replace(/^  - name: eth0$/m, '  - name: lo'));
  const check = spawnSync(process.execPath, [CLI, 'config', 'check', onLo], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr + check.stdout);

  appendFileSync(config, '# edited by the operator\n');
  const edited = readFileSync(config, 'utf8');
  const again = install([], { LLN_INSTALL_ROOT: root });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readFileSync(config, 'utf8'), edited, 'config never overwritten');
  assert.match(again.stdout, /^keep existing user lln-detect$/m);
  assert.match(again.stdout, /^keep .*lln-detect\.service \(already up to date\)$/m);
  assert.match(again.stdout, /^keep existing .*config\.yaml \(never overwritten\)$/m);
  assert.equal(readFileSync(path.join(root, 'etc', 'passwd'), 'utf8').split('\n').filter((l) => l.startsWith('lln-detect:')).length, 1);
});

test('a real install as a normal user on / is refused with a one-line hint', { skip: ((!IS_ROOT || spawnSync('setpriv', ['--version']).status !== 0) && 'needs root and setpriv') || (unprivilegedSkip() ?? false) }, () => {
  const r = install([], { LLN_INSTALL_ROOT: '' }, NOBODY);
  assert.equal(r.status, 2, r.stderr + r.stdout);
  assert.match(r.stderr.trim(), /^lln-detect: LLN_E_USAGE: install-service .* run it as root .*--dry-run$/);
  assert.equal(r.stdout, '');
});

/** This package copied under /tmp (node_modules linked, never installed): a checkout the unit cannot see. */
function checkoutUnderTmp(): string {
  const dir = mkdtempSync('/tmp/lln-h-checkout-');
  for (const f of ['package.json', 'dist', 'models', 'systemd', 'config.example.yaml']) cpSync(path.join(PACKAGE_ROOT, f), path.join(dir, f), { recursive: true });
  symlinkSync(realpathSync(path.join(PACKAGE_ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  return dir;
}

test('--dry-run from a checkout under /tmp warns for ExecStart and the model dir (PrivateTmp=yes), and says a real install refuses', () => {
  const copy = checkoutUnderTmp();
  try {
    const r = spawnSync(process.execPath, [path.join(copy, 'dist', 'src', 'cli', 'main.js'), 'install-service', '--dry-run'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stdout.split('\n').filter((l) => l.startsWith('warning: '));
    assert.ok(warnings.some((w) => w.startsWith(`warning: ExecStart CLI ${copy}/dist/src/cli/main.js is invisible to the service (the unit has PrivateTmp=yes`) && w.endsWith('(a real install refuses this)')), r.stdout);
    assert.ok(warnings.some((w) => w.startsWith(`warning: model.dir ${copy}/models/default is invisible to the service (the unit has PrivateTmp=yes`)), r.stdout);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('a real install on / from a checkout under /tmp is refused before anything changes', { skip: !IS_ROOT && 'needs root (a normal user is refused earlier)' }, () => {
  const copy = checkoutUnderTmp();
  const had = { user: spawnSync('getent', ['passwd', 'lln-detect']).status === 0, unit: existsSync(UNIT), config: existsSync(CONFIG) };
  try {
    const r = spawnSync(process.execPath, [path.join(copy, 'dist', 'src', 'cli', 'main.js'), 'install-service'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LLN_INSTALL_ROOT: '' } });
    assert.equal(r.status, 2, r.stderr + r.stdout);
    assert.match(r.stderr.trim(), /^lln-detect: LLN_E_USAGE: install-service: ExecStart CLI \/tmp\/\S+ is invisible to the service \(the unit has PrivateTmp=yes.*nothing was installed$/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(UNIT), had.unit);
    assert.equal(existsSync(CONFIG), had.config);
  } finally {
    if (!had.user && spawnSync('getent', ['passwd', 'lln-detect']).status === 0) spawnSync('userdel', ['lln-detect']);
    if (!had.unit) rmSync(UNIT, { force: true });
    if (!had.config) rmSync(CONFIG, { force: true });
    rmSync(copy, { recursive: true, force: true });
  }
});

test('an installed config whose paths the unit hides or keeps read-only gets a warning for each, and only for those', { skip: !HAVE_USERADD && 'useradd missing' }, () => {
  const root = tempRoot('paths');
  mkdirSync(path.join(root, 'etc', 'lln-detect'), { recursive: true });
  writeFileSync(path.join(root, CONFIG), [
    'interfaces: [{name: lo}]',
    'model: {dir: /tmp/lln-models/mine}',
    'spool: {dir: /var/spool/lln-detect, processedDir: /srv/done}',
    'outputs: {sqlite: /home/alice/anomalies.db, csv: {path: /var/log/lln-detect/a.csv}, jsonl: {path: /var/tmp/a.jsonl}}',
    'logging: {file: /opt/lln/log.txt}',
    'stateDir: /var/lib/lln-detect',
  ].join('\n') + '\n');
  const r = install(['--dry-run'], { LLN_INSTALL_ROOT: root });
  assert.equal(r.status, 0, r.stderr);
  // (A checkout under /tmp adds ExecStart and node_modules warnings of its own: not the config's.)
  const warnings = r.stdout.split('\n').filter((l) => l.startsWith('warning: ') && !/^warning: (ExecStart|node_modules) /.test(l)).map((w) => w.split(' ').slice(1, 3).join(' '));
  assert.deepEqual(warnings.sort(), [
    'logging.file /opt/lln/log.txt', 'model.dir /tmp/lln-models/mine', 'outputs.jsonl.path /var/tmp/a.jsonl',
    'outputs.sqlite /home/alice/anomalies.db', 'spool.processedDir /srv/done',
  ], r.stdout);
  assert.match(r.stdout, /^warning: outputs\.sqlite \/home\/alice\/anomalies\.db is invisible to the service \(the unit has ProtectHome=yes/m);
  assert.match(r.stdout, /^warning: logging\.file \/opt\/lln\/log\.txt is read-only to the service \(ProtectSystem=strict\); .*ReadWritePaths=/m);
});
