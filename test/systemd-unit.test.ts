import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';

const UNIT_PATH = path.join(PACKAGE_ROOT, 'systemd', 'lln-detect.service');
const UNIT = readFileSync(UNIT_PATH, 'utf8');
const HAVE_ANALYZE = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
const SKIP_ANALYZE = HAVE_ANALYZE ? false : 'systemd-analyze not installed (Debian package "systemd"): skipping unit verification';

/** [Section] → key → values (a key may repeat, e.g. SystemCallFilter). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      current = new Map();
      sections.set(sec[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `line outside a section or without '=': ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** A copy of the unit whose ExecStart exists here, so verify checks the unit and not the install. */
function verifiableCopy(dir: string): string {
  const file = path.join(dir, 'lln-detect.service');
  writeFileSync(file, UNIT.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'));
  return file;
}

test('the unit runs as a dedicated user with only the capture capabilities and the hardening keys', () => {
  const s = parseUnit(UNIT).get('Service');
  assert.ok(s, '[Service] section');
  const one = (k: string): string | undefined => s.get(k)?.at(-1);
  const expected: Record<string, string> = {
    Type: 'notify',
    NotifyAccess: 'all',
    User: 'lln-detect',
    DynamicUser: 'no',
    ExecStart: '/usr/bin/lln-detect daemon --config /etc/lln-detect/config.yaml',
    ExecReload: '/bin/kill -HUP $MAINPID',
    AmbientCapabilities: 'CAP_NET_RAW CAP_NET_ADMIN',
    CapabilityBoundingSet: 'CAP_NET_RAW CAP_NET_ADMIN',
    NoNewPrivileges: 'yes',
    ProtectSystem: 'strict',
    ProtectHome: 'yes',
    PrivateTmp: 'yes',
    StateDirectory: 'lln-detect',
    StateDirectoryMode: '0700',
    ConfigurationDirectory: 'lln-detect',
    UMask: '0077',
    Restart: 'on-failure',
    WatchdogSec: '30',
    ProtectKernelTunables: 'yes',
    ProtectControlGroups: 'yes',
    RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET',
    LockPersonality: 'yes',
    MemoryDenyWriteExecute: 'no',
    SystemCallArchitectures: 'native',
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(one(k), v, `${k}=${v}`);
  assert.ok(one('TimeoutStopSec'), 'TimeoutStopSec set');
  // Settings that would break capture must not creep in.
  for (const k of ['PrivateNetwork', 'PrivateUsers', 'IPAddressDeny']) assert.equal(s.get(k), undefined, `${k} would break capture or metrics`);
  // MemoryDenyWriteExecute=no must say why, right above it.
  assert.match(UNIT, /#[^\n]*(JIT|WebAssembly)[^\n]*\n(#[^\n]*\n)*MemoryDenyWriteExecute=no/);
  assert.equal(parseUnit(UNIT).get('Install')?.get('WantedBy')?.[0], 'multi-user.target');
});

test('systemd-analyze verify accepts the unit', { skip: SKIP_ANALYZE }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-unit-'));
  try {
    const r = spawnSync('systemd-analyze', ['verify', verifiableCopy(dir)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `systemd-analyze verify: ${r.stderr}${r.stdout}`);
    // Verify is strict enough to fail: an unknown key makes it complain.
    writeFileSync(path.join(dir, 'broken.service'), UNIT.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true').replace('[Service]', '[Service]\nProtectSystm=strict'));
    const bad = spawnSync('systemd-analyze', ['verify', path.join(dir, 'broken.service')], { encoding: 'utf8' });
    assert.match(bad.stderr, /Unknown key( name)? 'ProtectSystm'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd-analyze security rates the unit at most 3.0 (OK)', { skip: SKIP_ANALYZE }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-unit-'));
  try {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', verifiableCopy(dir)], { encoding: 'utf8' });
    const m = /Overall exposure level for lln-detect\.service: ([\d.]+)/.exec(r.stdout);
    if (!m) return t.skip(`this systemd-analyze cannot rate unit files offline (${r.stderr.trim().split('\n')[0]}): skipping`);
    t.diagnostic(`exposure ${m[1]}`);
    assert.ok(Number(m[1]) <= 3.0, `exposure ${m[1]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
