import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { HAVE_SAMPLES, sample } from './helpers/samples';
import { DEFAULT_SNAPLEN } from '../src/capture/live-source';

/**
 * A real capture of a real recording replayed onto a veth pair. Both ends live in a network
 * namespace made for this test (traffic never leaves it) and the capture runs in a child node
 * process inside that namespace; the namespace is always deleted.
 */
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const have = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP = !IS_ROOT
  ? 'needs root for network namespaces: skipping'
  : !HAVE_SAMPLES
    ? '../shared/samples not found (set LLN_SAMPLES_DIR): skipping'
    : !have('ip', ['-V']) || !have('tcpreplay', ['-V'])
      ? 'iproute2 or tcpreplay missing: skipping'
      : false;

/** Classic little-endian µs pcap records: enough for the one sample this test replays. */
function classicPcapRecords(file: string): Buffer[] {
  const buf = readFileSync(file);
  assert.equal(buf.readUInt32LE(0), 0xa1b2c3d4, 'sample is little-endian classic pcap');
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const capLen = buf.readUInt32LE(off + 8);
    out.push(buf.subarray(off + 16, off + 16 + capLen));
    off += 16 + capLen;
  }
  return out;
}

function sh(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/**
 * cap 0.2.1 aborts the process (assert in cb_packets) when the interface goes down; the lead's
 * setup patches that line (see docs/daemon.md). LLN_TEST_CAP_DIR points the child at a patched
 * build elsewhere, to try the patch without touching node_modules.
 */
function capIsPatched(marker = 'lln-detect patch'): boolean {
  const dir = process.env.LLN_TEST_CAP_DIR ?? path.dirname(path.dirname(require.resolve('cap')));
  try {
    return readFileSync(path.join(dir, 'src', 'binding.cc'), 'utf8').includes(marker);
  } catch {
    return false;
  }
}

const CHILD = `
if (process.env.LLN_TEST_CAP_DIR) {
  const M = require('module'); const orig = M._resolveFilename;
  M._resolveFilename = function (req, ...rest) { return orig.call(this, req === 'cap' ? process.env.LLN_TEST_CAP_DIR : req, ...rest); };
}
const { openLiveCapture } = require(process.argv[1]);
const want = Number(process.argv[2]);
let n = 0;
const src = openLiveCapture({ iface: 'vb', interfaceId: 0, frameCounter: { next: () => ++n }, linkCheckMs: 100 });
const got = [];
console.log('READY');
(async () => {
  try {
    for await (const batch of src) {
      for (const p of batch) got.push([Buffer.from(p.data).toString('hex'), p.origLen]);
      if (got.length >= want && !globalThis.reported) { globalThis.reported = 1; console.log('PACKETS ' + JSON.stringify(got)); }
    }
    console.log('ENDED');
  } catch (e) { console.log('ERROR ' + e.code + ' ' + e.message); }
  process.exit(0);
})();
setTimeout(() => { console.log('PACKETS ' + JSON.stringify(got)); console.log('TIMEOUT'); process.exit(1); }, 8000);
`;

test('tcpreplay onto a veth in a private namespace: every packet captured byte-exact up to the snaplen, with its wire length; link down ends the capture with LLN_E_CAPTURE', { skip: SKIP }, async (t) => {
  const file = sample('http.cap');
  const records = classicPcapRecords(file);
  const ns = `lln-test-${randomBytes(4).toString('hex')}`;
  sh(['netns', 'add', ns]);
  const child = { proc: null as ReturnType<typeof spawn> | null };
  try {
    // IPv6 off inside the namespace: no router solicitations or MLD reports mixed into the count.
    spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    sh(['-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    sh(['-n', ns, 'link', 'set', 'va', 'up']);
    sh(['-n', ns, 'link', 'set', 'vb', 'up']);

    const mod = path.join(__dirname, '..', 'src', 'capture', 'live-source.js');
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', CHILD, mod, String(records.length)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let childErr = '';
    proc.stderr!.on('data', (d: Buffer) => (childErr += d.toString()));
    proc.on('exit', (code, sig) => (childErr += ` [child exit ${code ?? sig}]`));
    child.proc = proc;
    const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    const nextLine = async (): Promise<string> => {
      const r = await lines.next();
      return r.done ? '' : r.value;
    };

    assert.equal(await nextLine(), 'READY');
    const replay = spawnSync('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', 'va', '--pps', '2000', file], { encoding: 'utf8' });
    assert.equal(replay.status, 0, `tcpreplay failed: ${replay.stderr}`);

    const packetsLine = await nextLine();
    assert.match(packetsLine, /^PACKETS /);
    const got = JSON.parse(packetsLine.slice('PACKETS '.length)) as Array<[string, number]>;
    assert.equal(got.length, records.length, 'captured as many packets as were replayed');
    assert.ok(records.some((r) => r.length > DEFAULT_SNAPLEN), `the sample has frames longer than the snaplen ${DEFAULT_SNAPLEN}`);
    got.forEach(([hex, origLen], i) => {
      assert.equal(hex, records[i]!.subarray(0, DEFAULT_SNAPLEN).toString('hex'), `packet ${i + 1} is byte-exact up to the snaplen`);
      // The wire length comes from the patched binding (scripts/patch-cap.sh); unpatched, it is the captured length.
      if (capIsPatched('lln-detect patch: wire length')) assert.equal(origLen, records[i]!.length, `packet ${i + 1} keeps its wire length`);
    });

    if (!capIsPatched()) {
      t.diagnostic('link-down check skipped: the installed cap is not patched (it aborts the process when an interface goes down; see docs/daemon.md)');
      return;
    }
    sh(['-n', ns, 'link', 'set', 'vb', 'down']);
    const end = await nextLine();
    assert.match(end, /^ERROR LLN_E_CAPTURE capture on vb stopped: the interface went down/, `child stderr: ${childErr}`);
  } finally {
    child.proc?.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
