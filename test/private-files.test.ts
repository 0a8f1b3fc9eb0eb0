import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makePrivateDir, securePrivateTree, writePrivateFile } from '../src/private-files';
import { PACKAGE_ROOT } from '../src/paths';
import { tempDir } from './helpers/cli';
import { children, CLI, DaemonProcess, freePort, run } from './helpers/daemon-harness';
import { NOBODY, unprivilegedSkip } from './helpers/unprivileged';

/**
 * Issue 31 §3, "Captured traffic is private": the state directory holds raw packets (the training
 * spool) and the alerts. The real daemon, started with a permissive umask (022, a root shell's),
 * must create its state directory 0700 and everything in it 0600 (SQLite's -wal and -shm, which
 * SQLite creates itself, included), tighten what an older version left world-readable, and, run
 * by hand as root, drop to an unprivileged user once its capture handles are open.
 */
const IS_ROOT = process.getuid?.() === 0;
const TEST_USER = 'lln-test-user';
const SAMPLE = path.join(PACKAGE_ROOT, 'samples', 'lan-portscan.pcap');
const dir = tempDir('private');
// The dropped user must reach its state directory (mkdtemp made this one 0700).
chmodSync(dir, 0o755);
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Entry { file: string; mode: number; uid: number; gid: number; dir: boolean }
function tree(root: string): Entry[] {
  const out: Entry[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    out.push({ file: p, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, dir: st.isDirectory() });
    if (st.isDirectory()) for (const n of readdirSync(p)) visit(path.join(p, n));
  };
  visit(root);
  return out;
}

/** Every directory 0700 and every file 0600 (a listing of the offenders on failure). */
function assertPrivate(root: string, when: string): Entry[] {
  const all = tree(root);
  const bad = all.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.file} ${e.mode.toString(8)}`);
  assert.deepEqual(bad, [], `${when}: not private`);
  return all;
}

async function sendDatagrams(port: number, n: number): Promise<void> {
  const sock = createSocket('udp4');
  try {
    for (let i = 0; i < n; i++) await new Promise<void>((res, rej) => sock.send(`datagram ${i}`, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  } finally {
    sock.close();
  }
}

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('helpers: 0700 / 0600 whatever the umask; tightening leaves symlinks and hard-linked files alone', () => {
  const old = process.umask(0o022);
  try {
    const base = path.join(dir, 'helpers');
    makePrivateDir(path.join(base, 'a', 'b'));
    assert.equal(statSync(path.join(base, 'a', 'b')).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(base, 'a')).mode & 0o777, 0o700, 'parents it creates too');
    const f = path.join(base, 'a', 'f.json');
    writeFileSync(f, 'old', { mode: 0o644 });
    writePrivateFile(f, 'new');
    assert.equal(statSync(f).mode & 0o777, 0o600, 'an existing file is made 0600 too');
    assert.equal(readFileSync(f, 'utf8'), 'new');
    writePrivateFile(f, 'x');
    assert.equal(readFileSync(f, 'utf8'), 'x', 'truncated');
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'keep', { mode: 0o644 });
    symlinkSync(victim, path.join(base, 'a', 'planted.tmp'));
    assert.throws(() => writePrivateFile(path.join(base, 'a', 'planted.tmp'), 'x'), /ELOOP/, 'never written through a symlink');
    linkSync(victim, path.join(base, 'a', 'hard.tmp'));
    assert.throws(() => writePrivateFile(path.join(base, 'a', 'hard.tmp'), 'x'), /not a plain file \(2 links\)/);
    assert.deepEqual([readFileSync(victim, 'utf8'), statSync(victim).mode & 0o777], ['keep', 0o644]);

    const outside = path.join(dir, 'outside.txt');
    writeFileSync(outside, 'not the daemon\'s', { mode: 0o644 });
    const loose = path.join(dir, 'loose');
    mkdirSync(path.join(loose, 'sub'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(loose, 'sub', 'x.pcap'), '', { mode: 0o644 });
    symlinkSync(outside, path.join(loose, 'link'));
    linkSync(outside, path.join(loose, 'hard'));
    const r = securePrivateTree(loose);
    assert.equal(statSync(loose).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(loose, 'sub')).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(loose, 'sub', 'x.pcap')).mode & 0o777, 0o600);
    assert.equal(statSync(outside).mode & 0o777, 0o644, 'neither the symlink nor the hard link reached the file outside');
    assert.equal(r.tightened, 3);
    assert.equal(r.failedCount, 1);
    assert.match(r.failed[0]!, /hard: 2 hard links, left alone/);
  } finally {
    process.umask(old);
  }
});

test('the daemon started with umask 022 keeps its state private: new files 0600, an old loose state dir tightened with one line', { timeout: 60_000 }, async (t) => {
  const base = path.join(dir, 'modes');
  const state = path.join(base, 'state');
  const incoming = path.join(base, 'incoming');
  // What an older version left: the state dir and its files readable by everyone.
  mkdirSync(path.join(state, 'old-dir'), { recursive: true, mode: 0o755 });
  chmodSync(state, 0o755);
  chmodSync(path.join(state, 'old-dir'), 0o755);
  writeFileSync(path.join(state, 'old-notes.txt'), 'x', { mode: 0o644 });
  writeFileSync(path.join(state, 'old-dir', 'old.pcap'), 'x', { mode: 0o644 });
  mkdirSync(incoming);
  const port = await freePort(), udp = await freePort();
  const config = path.join(base, 'config.yaml');
  writeFileSync(config, [
    // Capture on lo needs root; without it the spool folder alone still makes the daemon write its state.
    IS_ROOT ? `interfaces:\n  - name: lo\n    filter: "udp port ${udp}"` : 'interfaces: []',
    `spool: {dir: ${incoming}, settleSeconds: 0}`,
    'model: {threshold: 0}', // every scored packet is an alert: rows in every output
    `outputs:\n  sqlite: ${path.join(state, 'anomalies.db')}\n  csv: {path: ${path.join(state, 'anomalies.csv')}}\n  jsonl: {path: ${path.join(state, 'anomalies.jsonl')}}`,
    'logging: {level: info, format: text}', `metrics: {listen: "127.0.0.1:${port}"}`,
    `stateDir: ${state}`, 'user: root',
    'learning: {spool: {fileSeconds: 1}}', // no model.dir: learning, so the training spool fills
  ].join('\n') + '\n');

  const old = process.umask(0o022); // the child inherits it
  let d: DaemonProcess;
  try {
    d = new DaemonProcess(config, port);
  } finally {
    process.umask(old);
  }
  await d.waitReady();
  const tightened = d.log.split('\n').filter((l) => l.includes(`state dir ${state}:`));
  assert.equal(tightened.length, 1, d.log);
  assert.match(tightened[0]!, /^info: state dir .*: 4 entries were readable by others, now owner-only \(directories 0700, files 0600\)/);

  if (IS_ROOT) {
    // Two bursts more than learning.spool.fileSeconds apart: one closed spool pcap, one .part being written.
    await sendDatagrams(udp, 100);
    assert.equal(await d.metricReaches('lln_packets_captured_total', 'interface="lo"', 100), 100);
    await new Promise((r) => setTimeout(r, 1200));
    await sendDatagrams(udp, 100);
    assert.equal(await d.metricReaches('lln_packets_captured_total', 'interface="lo"', 200), 200);
  } else {
    t.diagnostic('not root: no capture on lo, so no training spool pcaps are checked');
  }
  copyFileSync(SAMPLE, path.join(incoming, 'scan.pcap'));
  await d.waitLog(/spool: .*scan\.pcap: run \d+, \d+ packets/, 30_000);
  await until('status.json and spool-state.json', () => existsSync(path.join(state, 'status.json')) && existsSync(path.join(state, 'spool-state.json')));

  const running = assertPrivate(state, 'while running').map((e) => path.relative(state, e.file));
  for (const f of ['anomalies.db', 'anomalies.db-wal', 'anomalies.db-shm', 'learn-state.json', 'status.json', 'spool-state.json', 'anomalies.csv', 'anomalies.jsonl', 'old-notes.txt', 'old-dir/old.pcap']) {
    assert.ok(running.includes(f), `${f} exists (${running.join(', ')})`);
  }
  if (IS_ROOT) {
    const spool = running.filter((f) => f.startsWith('training-spool/'));
    assert.ok(spool.some((f) => /^training-spool\/\d+-\d+-\d+\.pcap$/.test(f)), `a closed spool pcap (${spool.join(', ')})`);
    assert.ok(spool.some((f) => f.endsWith('.pcap.part')), `a spool .part being written (${spool.join(', ')})`);
  }
  t.diagnostic(`private while running: ${running.length} entries`);

  const { code } = await d.stop();
  assert.equal(code, 0, d.log);
  assertPrivate(state, 'after stop');
  const db = new Database(path.join(state, 'anomalies.db'), { readonly: true });
  const n = (db.prepare('SELECT count(*) AS n FROM anomalies').get() as { n: number }).n;
  db.close();
  assert.ok(n > 0, 'alerts were written');

  // Nobody else reads it: `status` as another user is refused in one line saying who may.
  if (IS_ROOT && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0 && unprivilegedSkip() === null) {
    chmodSync(base, 0o755);
    const r = run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, CLI, 'status', '--state-dir', state]);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot read the learning state \(permission denied\); run as the lln-detect user or root/);
  }
});

/** The test user, created if this machine lacks it (and then removed). */
function testUser(): { uid: number; gid: number; created: boolean } | null {
  const ids = () => {
    const r = spawnSync('getent', ['passwd', TEST_USER], { encoding: 'utf8' });
    if (r.status !== 0) return null;
    const f = r.stdout.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]) };
  };
  const had = ids();
  if (had) return { ...had, created: false };
  const r = spawnSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', TEST_USER], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const made = ids();
  return made && { ...made, created: true };
}

const HAVE_USERADD = spawnSync('useradd', ['--help'], { stdio: 'ignore' }).status === 0;
const DROP_SKIP = !IS_ROOT ? 'dropping root needs root (and capture on lo): skipping'
  : !HAVE_USERADD ? 'useradd missing: skipping' : (unprivilegedSkip() ?? false);

test('started as root, the daemon drops to the configured user once capture is open, and still captures and writes alerts', { skip: DROP_SKIP, timeout: 60_000 }, async (t) => {
  const u = testUser();
  assert.ok(u, `could not create the system user ${TEST_USER}`);
  t.after(() => {
    if (u.created) spawnSync('userdel', [TEST_USER]);
  });
  const base = path.join(dir, 'drop');
  mkdirSync(base, { mode: 0o755 });
  const state = path.join(base, 'state');
  const port = await freePort(), udp = await freePort();
  const config = path.join(base, 'config.yaml');
  writeFileSync(config, [
    `interfaces:\n  - name: lo\n    filter: "udp port ${udp}"`,
    'model: {threshold: 0}', `outputs: {sqlite: ${path.join(state, 'anomalies.db')}}`,
    'logging: {level: info, format: text}', `metrics: {listen: "127.0.0.1:${port}"}`,
    `stateDir: ${state}`, `user: ${TEST_USER}`,
  ].join('\n') + '\n', { mode: 0o644 });

  const d = new DaemonProcess(config, port);
  await d.waitReady();
  const m = await d.waitLog(new RegExp(`dropped root: running as user ${TEST_USER} \\(uid (\\d+), gid (\\d+)\\)`));
  assert.deepEqual([Number(m[1]), Number(m[2])], [u.uid, u.gid]);
  const status = readFileSync(`/proc/${d.pid}/status`, 'utf8');
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)![1]!.trim().split(/\s+/);
  assert.deepEqual(field('Uid'), Array(4).fill(String(u.uid)), 'real, effective, saved and fs uid');
  assert.deepEqual(field('Gid'), Array(4).fill(String(u.gid)), 'real, effective, saved and fs gid');
  assert.deepEqual(field('Groups').filter(Boolean), [String(u.gid)], 'root\'s supplementary groups are gone');
  assert.deepEqual([field('CapPrm')[0], field('CapEff')[0]], ['0000000000000000', '0000000000000000'], 'no capability left');
  t.diagnostic(`daemon pid ${d.pid}: Uid ${field('Uid').join(' ')}, Gid ${field('Gid').join(' ')}`);

  // The handle opened as root keeps capturing; the alerts are written as the user.
  await sendDatagrams(udp, 200);
  assert.equal(await d.metricReaches('lln_packets_captured_total', 'interface="lo"', 200), 200);
  const { code, final } = await d.stop();
  assert.equal(code, 0, d.log);
  assert.equal(Number(final[1]), 200);
  // Everything in the state dir is the user's (the training spool too: no model.dir, so learning) and
  // private. Checked before this root process opens the database, which may add a -shm of its own.
  const all = assertPrivate(state, 'after the drop');
  const foreign = all.filter((e) => e.uid !== u.uid || e.gid !== u.gid).map((e) => `${e.file} ${e.uid}:${e.gid}`);
  assert.deepEqual(foreign, [], 'owned by the dropped user');
  assert.ok(all.some((e) => e.file.includes('training-spool') && e.file.endsWith('.pcap')), 'the training spool was written as the user');
  const db = new Database(path.join(state, 'anomalies.db'), { readonly: true });
  const runRow = db.prepare("SELECT id, status FROM runs WHERE mode = 'daemon'").get() as { id: number; status: string };
  const n = (db.prepare('SELECT count(*) AS n FROM anomalies WHERE run_id = ?').get(runRow.id) as { n: number }).n;
  db.close();
  assert.equal(runRow.status, 'finished');
  assert.ok(n > 0, 'alerts written after the drop');
});
