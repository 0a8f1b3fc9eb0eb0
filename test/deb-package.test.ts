import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { sandboxProblems } from '../src/daemon/unit-sandbox';

/**
 * The Debian package route (README, "The daemon and systemd"): `scripts/build-deb.sh` (npm run deb)
 * builds the .deb, apt installs it, the sandboxed unit can see the program, and purge leaves
 * nothing behind. Root only (it installs and purges a real package on this machine); the build
 * runs `npm ci --omit=dev` the first time (~3 min), later runs take the cached node_modules
 * (dist-deb/cache/, keyed by package-lock.json). Everything it installs is purged even when a
 * step fails.
 */
const IS_ROOT = process.getuid?.() === 0;
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const SYSTEMD_RUNNING = existsSync('/run/systemd/system');
const USER = 'lln-detect';
const UNIT = '/lib/systemd/system/lln-detect.service';
const CONFIG = '/etc/lln-detect/config.yaml';
const STATE = '/var/lib/lln-detect';
const WANTS = '/etc/systemd/system/multi-user.target.wants/lln-detect.service';
/** Everything the package or its scripts create: none may be there before, none after purge. */
const OWNED = ['/usr/bin/lln-detect', '/usr/lib/lln-detect', UNIT, '/etc/lln-detect', STATE, '/var/log/lln-detect', '/usr/share/doc/lln-detect', WANTS, '/etc/systemd/system/lln-detect.service.d'];
const PKG = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
const DEB_VERSION = PKG.version.replace(/-/g, '~');
const APT = ['-y', '-o', 'DPkg::Lock::Timeout=300'];
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

function run(cmd: string, args: string[], opts: SpawnSyncOptions & { env?: Record<string, string> } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...opts, env: { ...process.env, ...(opts.env ?? {}) } });
  const stdout = String(r.stdout ?? ''), stderr = String(r.stderr ?? '');
  return { status: r.status, stdout, stderr, all: `$ ${cmd} ${args.join(' ')}\nexit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${stdout}\n${stderr}` };
}
/** There, as a file, directory or (even dangling) symlink. */
const exists = (p: string) => lstatSync(p, { throwIfNoEntry: false }) !== undefined;
const getent = (db: string, key: string) => run('getent', [db, key]);
const dpkgStatus = () => run('dpkg-query', ['-W', '-f=${Status}', 'lln-detect']).stdout.trim();
/** dpkg has the package in some state (installed, or removed with its config files left). */
const dpkgKnows = () => !/^$|not-installed$/.test(dpkgStatus());

function whyNot(): string | false {
  // Opt-in: it installs a system user and package machine-wide, which the daemon tests running
  // beside it (npm test runs two files at once) would meet, and its first npm ci takes minutes.
  if (process.env.LLN_TEST_PACKAGE !== '1') return 'opt-in (LLN_TEST_PACKAGE=1): it installs and purges the lln-detect package on this machine; run it alone';
  if (!IS_ROOT) return 'needs root: it installs and purges the lln-detect package on this machine';
  for (const tool of ['dpkg-deb', 'dpkg', 'apt-get', 'npm']) if (!have(tool)) return `${tool} not found: not a Debian machine with npm`;
  if (!existsSync(path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsc'))) return 'the checkout has no dev dependencies (npm ci): the build compiles with its TypeScript';
  if (dpkgKnows()) return `the package lln-detect is already known to dpkg here (${dpkgStatus()}): the test would purge it`;
  const there = OWNED.filter(exists);
  if (there.length > 0) return `${there.join(', ')} already exist here (a real install?): the test would remove them at purge`;
  if (getent('passwd', USER).status === 0 || getent('group', USER).status === 0) return `a user or group ${USER} exists here already: the test would remove it at purge`;
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The unit's settings, `Key=value` lines (the last assignment of a key wins). */
function unitSetting(unit: string, key: string): string {
  const lines = unit.split('\n').filter((l) => l.startsWith(`${key}=`));
  assert.ok(lines.length > 0, `the unit has no ${key}=`);
  return lines[lines.length - 1]!.slice(key.length + 1).trim();
}

function waitFor(what: string, ms: number, check: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > until) reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`));
      else setTimeout(tick, 200);
    };
    tick();
  });
}

test('npm run deb: the package builds, installs with apt, runs sandboxed as lln-detect, and purge leaves nothing', { skip: whyNot(), timeout: 20 * 60_000 }, async (t: TestContext) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-deb-'));
  chmodSync(tmp, 0o755); // apt reads a local .deb as the _apt user
  const times: string[] = [];
  const live: { daemon: ChildProcess | null } = { daemon: null };
  let failed = false;
  /** One step; after a failed one the rest are skipped (each needs the one before). */
  const step = async (name: string, fn: () => void | Promise<void>, skip: string | false = false) => {
    await t.test(name, { skip: failed ? 'an earlier step failed' : skip }, async () => {
      const start = Date.now();
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        times.push(`${name}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
      }
    });
  };
  let deb = '';
  let unitText = '';
  let editedConfig = '';
  try {
    await step('scripts/build-deb.sh builds lln-detect_<version>_<arch>.deb', () => {
      const r = run('bash', [path.join(PACKAGE_ROOT, 'scripts', 'build-deb.sh'), '--out', tmp], { timeout: 15 * 60_000 });
      assert.equal(r.status, 0, r.all);
      deb = r.stdout.trim().split('\n').pop()!;
      const arch = run('dpkg', ['--print-architecture']).stdout.trim();
      assert.equal(deb, path.join(tmp, `lln-detect_${DEB_VERSION}_${arch}.deb`), r.all);
      assert.ok(existsSync(deb), r.all);
      t.diagnostic(r.stderr.split('\n').filter((l) => /node_modules:|built |Depends|Node\.js/.test(l)).join('; '));
    });

    await step('dpkg-deb -c: the program, wrapper, unit and conffile, root-owned, no dev dependencies', () => {
      const r = run('dpkg-deb', ['-c', deb], { maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, r.all);
      const entries = new Map<string, { mode: string; owner: string }>();
      for (const line of r.stdout.split('\n')) {
        const m = /^(\S+) (\S+)\s+\d+ \S+ \S+ (\.\/\S*)/.exec(line);
        if (m) entries.set(m[3]!.replace(/\/$/, ''), { mode: m[1]!, owner: m[2]! });
      }
      const lib = './usr/lib/lln-detect';
      const must = [
        './usr/bin/lln-detect', `.${UNIT}`, `.${CONFIG}`, './usr/share/doc/lln-detect/copyright',
        `${lib}/package.json`, `${lib}/config.example.yaml`, `${lib}/dist/src/cli/main.js`,
        `${lib}/dist/src/model/scorer-worker.js`, `${lib}/dist/src/learn/training-child.js`, `${lib}/dist/src/fleet/forward-worker.js`,
        ...['model.json', 'weights.bin', 'scaler.json', 'features.json', 'threshold.json'].map((f) => `${lib}/models/default/${f}`),
        `${lib}/node_modules/better-sqlite3/build/Release/better_sqlite3.node`, `${lib}/node_modules/cap/build/Release/cap.node`,
        `${lib}/node_modules/@tensorflow/tfjs-backend-wasm/package.json`, `${lib}/node_modules/commander/package.json`,
      ];
      for (const p of must) assert.ok(entries.has(p), `${p} is not in the package`);
      assert.match(entries.get('./usr/bin/lln-detect')!.mode, /^-rwxr-xr-x$/);
      assert.match(entries.get(`.${CONFIG}`)!.mode, /^-rw-r--r--$/);
      const notRoot = [...entries].filter(([, e]) => e.owner !== 'root/root').map(([p]) => p);
      assert.deepEqual(notRoot.slice(0, 5), [], 'every entry is root/root');
      const unwanted = [...entries.keys()].filter((p) =>
        /\/node_modules\/(typescript|pcap-parser|@types\/(better-sqlite3|pg|cli-progress))(\/|$)/.test(p) || p.endsWith('.map') ||
        (p.startsWith(`${lib}/dist/`) && p !== `${lib}/dist/src` && !p.startsWith(`${lib}/dist/src/`)) || p.startsWith(`${lib}/samples`) || p.startsWith(`${lib}/test`));
      // (@types/node stays: tfjs's @types/node-fetch and others list it as a dependency of their own.)
      assert.deepEqual(unwanted.slice(0, 5), [], 'no dev-only dependencies, tests, source maps or samples');
    });

    await step('dpkg-deb -I: control fields and conffiles', () => {
      const field = (f: string) => run('dpkg-deb', ['-f', deb, f]).stdout.trim();
      assert.equal(field('Package'), 'lln-detect');
      assert.equal(field('Version'), DEB_VERSION);
      assert.equal(field('Architecture'), run('dpkg', ['--print-architecture']).stdout.trim());
      const depends = field('Depends').split(/,\s*/);
      for (const d of ['libpcap0.8', 'adduser']) assert.ok(depends.includes(d), `Depends: ${depends.join(', ')} lacks ${d}`);
      // Node: a dependency on the package that owns this node, same major (native modules' ABI),
      // only when a Debian package owns it; otherwise apt could never satisfy it.
      const nodeBin = run('sh', ['-c', 'command -v node']).stdout.trim();
      const owner = run('dpkg-query', ['-S', nodeBin]).stdout.split(':')[0]!.trim();
      const major = Number(process.versions.node.split('.')[0]);
      if (owner) assert.ok(depends.includes(`${owner} (>= ${major}~)`) && depends.includes(`${owner} (<< ${major + 1}~)`), `Depends: ${depends.join(', ')}`);
      else assert.ok(!depends.some((d) => d.startsWith('nodejs')), `Depends: ${depends.join(', ')} names nodejs, which no package provides here`);
      const info = run('dpkg-deb', ['-I', deb, 'conffiles']);
      assert.equal(info.status, 0, info.all);
      assert.equal(info.stdout.trim(), CONFIG);
      const scripts = run('dpkg-deb', ['-I', deb]).stdout;
      for (const s of ['postinst', 'prerm', 'postrm']) assert.match(scripts, new RegExp(`\\d+ bytes,\\s+\\d+ lines\\s+\\*\\s+${s}\\b`));
    });

    await step('the packaged unit is the repository unit (sandbox unchanged), ExecStart=/usr/bin/lln-detect', () => {
      const r = run('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -xOf - .${UNIT}`, 'sh', deb]);
      assert.equal(r.status, 0, r.all);
      unitText = r.stdout;
      const repoUnit = readFileSync(path.join(PACKAGE_ROOT, 'systemd', 'lln-detect.service'), 'utf8');
      assert.equal(unitText, repoUnit.replace(/^Documentation=.*$/m, 'Documentation=file:///usr/share/doc/lln-detect/daemon.md'));
      assert.equal(unitSetting(unitText, 'ExecStart'), `/usr/bin/lln-detect daemon --config ${CONFIG}`);
      for (const s of ['ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'User=lln-detect', 'StateDirectoryMode=0700']) assert.ok(unitText.split('\n').includes(s), s);
    });

    await step('apt-get install ./lln-detect_*.deb: installed, not started', () => {
      const r = run('apt-get', ['install', ...APT, deb], { env: APT_ENV });
      assert.equal(r.status, 0, r.all);
      assert.equal(dpkgStatus(), 'install ok installed');
      assert.match(r.stdout, /the service is not started/);
      if (SYSTEMD_RUNNING) assert.notEqual(run('systemctl', ['is-active', '--quiet', 'lln-detect']).status, 0, 'installing started the service');
    });

    await step('systemd-analyze verify accepts the installed unit', () => {
      const r = run('systemd-analyze', ['verify', UNIT]);
      assert.equal(r.status, 0, r.all);
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /lln-detect\.service/, r.all);
    }, !have('systemd-analyze') && 'systemd-analyze not found: skipping the unit check');

    await step('every path the service needs is visible to it through the unit sandbox', () => {
      const node = realpathSync(run('sh', ['-c', 'command -v node']).stdout.trim());
      const paths = [
        { what: 'ExecStart wrapper', path: '/usr/bin/lln-detect', write: false },
        { what: 'node', path: node, write: false },
        { what: 'CLI', path: '/usr/lib/lln-detect/dist/src/cli/main.js', write: false },
        { what: 'node_modules', path: '/usr/lib/lln-detect/node_modules', write: false },
        { what: 'model', path: '/usr/lib/lln-detect/models/default', write: false },
        { what: 'stateDir', path: STATE, write: true },
        { what: 'outputs.sqlite', path: `${STATE}/anomalies.db`, write: true },
      ];
      assert.deepEqual(sandboxProblems(readFileSync(UNIT, 'utf8'), paths).map((p) => p.message), []);
    });

    await step('/usr/bin/lln-detect runs the installed copy: --version, replay of the sample', () => {
      const v = run('/usr/bin/lln-detect', ['--version'], { cwd: '/' });
      assert.equal(v.status, 0, v.all);
      assert.equal(v.stdout.trim(), PKG.version);
      const jsonl = path.join(tmp, 'replay.jsonl');
      const r = run('/usr/bin/lln-detect', ['replay', path.join(PACKAGE_ROOT, 'samples', 'lan-portscan.pcap'), '--no-db', '--no-csv', '--quiet', '--jsonl', jsonl], { cwd: tmp, timeout: 120_000 });
      assert.equal(r.status, 0, r.all);
      const records = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      assert.ok(records.some((x) => x.type === 'incident'), 'the port scan is found with the packaged model');
      assert.ok(!existsSync(path.join(tmp, 'anomalies.db')) && !existsSync(path.join(tmp, 'anomalies.csv')));
    });

    await step('postinst: system user lln-detect, state dir 0700 owned by it, config from the example; install-service defers to the package', () => {
      const pw = getent('passwd', USER);
      assert.equal(pw.status, 0, pw.all);
      const [, , uid, gid, , home, shell] = pw.stdout.trim().split(':');
      assert.ok(Number(uid) < 1000, `uid ${uid} is a system uid`);
      assert.equal(home, STATE);
      assert.equal(shell, '/usr/sbin/nologin');
      assert.equal(getent('group', USER).stdout.split(':')[2], gid);
      const st = statSync(STATE);
      assert.ok(st.isDirectory());
      assert.equal(st.mode & 0o777, 0o700);
      assert.equal(st.uid, Number(uid));
      assert.equal(readFileSync(CONFIG, 'utf8'), readFileSync(path.join(PACKAGE_ROOT, 'config.example.yaml'), 'utf8'));
      const conffiles = run('dpkg-query', ['-W', '-f=${Conffiles}', 'lln-detect']).stdout;
      assert.match(conffiles, new RegExp(`^ ${CONFIG} [0-9a-f]{32}$`, 'm'));
      const is = run('/usr/bin/lln-detect', ['install-service'], { cwd: '/' });
      assert.equal(is.status, 0, is.all);
      assert.match(is.stdout, /installed by the Debian package lln-detect.*nothing to do/);
      assert.ok(!existsSync('/etc/systemd/system/lln-detect.service'), 'install-service wrote no unit of its own');
      const check = run('runuser', ['-u', USER, '--', '/usr/bin/lln-detect', 'config', 'check', CONFIG], { cwd: '/', timeout: 120_000 });
      if (existsSync('/sys/class/net/eth0')) assert.equal(check.status, 0, check.all);
      else assert.match(check.stderr, /eth0/, check.all);
    });

    // The shipped config captures on eth0 and serves metrics on 127.0.0.1:9910; an operator's edit
    // (as the README says to make) keeps the test off the real NIC and off a port in use.
    await step('an operator edit of the conffile: interface lo, a free metrics port', async () => {
      const port = await freePort();
      const text = readFileSync(CONFIG, 'utf8');
      editedConfig = text.replace(/^ {2}- name: eth0$/m, '  - name: lo').replace(/^ {2}listen: 127\.0\.0\.1:9910$/m, `  listen: 127.0.0.1:${port}`);
      assert.notEqual(editedConfig, text);
      assert.match(editedConfig, new RegExp(`listen: 127.0.0.1:${port}`));
      writeFileSync(CONFIG, editedConfig);
    });

    if (SYSTEMD_RUNNING) {
      await step('systemctl start / status / stop lln-detect', async () => {
        const start = run('systemctl', ['start', 'lln-detect'], { timeout: 180_000 });
        assert.equal(start.status, 0, `${start.all}\n${run('journalctl', ['-u', 'lln-detect', '-n', '50', '--no-pager']).stdout}`);
        const status = run('systemctl', ['status', '--no-pager', 'lln-detect']);
        assert.equal(status.status, 0, status.all);
        assert.match(status.stdout, /Active: active \(running\)/);
        await waitFor(`${STATE}/anomalies.db`, 30_000, () => existsSync(`${STATE}/anomalies.db`));
        const stop = run('systemctl', ['stop', 'lln-detect'], { timeout: 120_000 });
        assert.equal(stop.status, 0, stop.all);
        assert.notEqual(run('systemctl', ['is-active', '--quiet', 'lln-detect']).status, 0);
        assert.equal(run('systemctl', ['show', '-p', 'Result', '--value', 'lln-detect']).stdout.trim(), 'success');
      });
    } else {
      t.diagnostic('systemd is not running as PID 1 here (/run/systemd/system is missing): systemctl start/status/stop skipped; the unit\'s ExecStart runs by hand as its User= with its AmbientCapabilities= instead (no namespaces: the sandbox itself is checked above, path by path)');
      await step('the unit\'s ExecStart, by hand as lln-detect with the unit\'s capabilities: ready, /healthz ok, SIGTERM exits 0', async () => {
        const argv = unitSetting(unitText, 'ExecStart').split(/\s+/);
        const caps = unitSetting(unitText, 'AmbientCapabilities').split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
        const env = Object.fromEntries(unitSetting(unitText, 'Environment').split(/\s+/).map((kv) => kv.split('=') as [string, string]));
        const user = unitSetting(unitText, 'User');
        let log = '';
        const daemon = spawn('setpriv', [`--reuid=${user}`, `--regid=${unitSetting(unitText, 'Group')}`, '--init-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, '--', ...argv], { cwd: '/', env: { ...process.env, ...env } });
        live.daemon = daemon;
        daemon.stdout!.on('data', (d) => (log += d));
        daemon.stderr!.on('data', (d) => (log += d));
        const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
        await waitFor('"daemon ready"', 120_000, () => log.includes('daemon ready') || daemon.exitCode !== null).catch((e: Error) => {
          throw new Error(`${e.message}; the daemon's log:\n${log}`);
        });
        assert.ok(log.includes('daemon ready: run 1, interfaces lo'), log);
        const port = /listen: 127\.0\.0\.1:(\d+)/.exec(editedConfig)![1];
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        assert.equal(health.status, 200, log);
        assert.match(await health.text(), /^ok/);
        const db = statSync(`${STATE}/anomalies.db`);
        assert.equal(db.mode & 0o777, 0o600);
        assert.equal(db.uid, Number(getent('passwd', USER).stdout.split(':')[2]));
        daemon.kill('SIGTERM');
        const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
        assert.equal(code, 0, `exit ${code}\n${log}`);
        assert.match(log, /daemon stopped: .*status finished/);
        live.daemon = null;
      });
    }

    await step('reinstall (dpkg -i over itself, the upgrade path): the edited conffile and the state stay', () => {
      const r = run('dpkg', ['-i', deb]);
      assert.equal(r.status, 0, r.all);
      assert.equal(dpkgStatus(), 'install ok installed');
      assert.equal(readFileSync(CONFIG, 'utf8'), editedConfig);
      assert.equal(statSync(STATE).mode & 0o777, 0o700);
      assert.ok(existsSync(`${STATE}/anomalies.db`));
    });

    await step('systemctl enable (works without a running systemd too)', () => {
      const r = run('systemctl', ['enable', 'lln-detect']);
      assert.equal(r.status, 0, r.all);
      assert.ok(exists(WANTS));
    });

    await step('apt-get remove: the program goes; config, state and user stay', () => {
      const r = run('apt-get', ['remove', ...APT, 'lln-detect'], { env: APT_ENV });
      assert.equal(r.status, 0, r.all);
      assert.equal(dpkgStatus(), 'deinstall ok config-files');
      for (const p of ['/usr/bin/lln-detect', '/usr/lib/lln-detect', UNIT]) assert.ok(!exists(p), `${p} is still there`);
      assert.equal(readFileSync(CONFIG, 'utf8'), editedConfig);
      assert.ok(existsSync(`${STATE}/anomalies.db`));
      assert.equal(getent('passwd', USER).status, 0);
    });

    await step('apt-get purge: files, config, state, enablement, user and group are gone', () => {
      const r = run('apt-get', ['purge', ...APT, 'lln-detect'], { env: APT_ENV });
      assert.equal(r.status, 0, r.all);
      assert.ok(!dpkgKnows(), dpkgStatus());
      assert.deepEqual(OWNED.filter(exists), []);
      assert.notEqual(getent('passwd', USER).status, 0, 'the user is gone');
      assert.notEqual(getent('group', USER).status, 0, 'the group is gone');
    });
  } finally {
    // Whatever failed: leave the machine as it was (the test only ran when none of this was here).
    if (live.daemon !== null && live.daemon.exitCode === null) live.daemon.kill('SIGKILL');
    if (SYSTEMD_RUNNING) run('systemctl', ['stop', 'lln-detect']);
    if (dpkgKnows()) {
      const p = run('dpkg', ['--purge', 'lln-detect']);
      if (p.status !== 0) t.diagnostic(`cleanup: ${p.all}`);
    }
    if (getent('passwd', USER).status === 0) run('userdel', [USER]);
    if (getent('group', USER).status === 0) run('groupdel', [USER]);
    for (const p of OWNED) rmSync(p, { recursive: true, force: true });
    if (SYSTEMD_RUNNING) run('systemctl', ['daemon-reload']);
    rmSync(tmp, { recursive: true, force: true });
    t.diagnostic(`durations: ${times.join('; ')}`);
  }
});
