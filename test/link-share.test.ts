import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { openLiveCapture, type LivePacketSource } from '../src/capture/live-source';
import { pairShare, parseShare, shareExpression } from '../src/capture/link-share';
import type { RawPacket } from '../src/capture/raw-packet';
import { parseConfig } from '../src/daemon/config-load';
import { effectiveFilter } from '../src/daemon/capture-filter';
import { isLlnError } from '../src/errors';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { DEFAULT_MODEL, tempDir } from './helpers/cli';
import { children, DaemonProcess, freePort } from './helpers/daemon-harness';

/**
 * Several sensors splitting one link by host pair (`interfaces[].share: K/N`): the shares' BPF
 * filters, compiled and run by the real libpcap on the real `lo`, must see every packet exactly
 * once, both directions of a host pair in the same share, the share the documented hash names.
 */
const IS_ROOT = process.getuid?.() === 0;
const ipv4 = (s: string) => s.split('.').reduce((v, o) => ((v << 8) | Number(o)) >>> 0, 0);
const cfg = (yaml: string) => parseConfig(yaml, '/etc/lln-detect/config.yaml');

test('share K/N: parsed, refused with a one-line reason, and narrowed into the filter with the own-traffic exclusion', () => {
  assert.deepEqual(parseShare('2/4'), { k: 2, n: 4 });
  for (const bad of ['0/2', '3/2', '1/1', '1/65', '1', 'a/b', '1/2/3']) assert.equal(parseShare(bad), null, bad);
  assert.throws(() => cfg('interfaces: [{name: lo, share: "3/2"}]\n'), /interfaces\[0\]\.share: .*K\/N.*e\.g\. '1\/2'/);
  const c = cfg('interfaces: [{name: lo, filter: udp, share: "2/3"}, {name: any, share: "1/2"}, {name: eth0, share: "2/2"}]\n');
  const share23 = shareExpression({ k: 2, n: 3 });
  assert.equal(effectiveFilter(c.interfaces[0]!, c), `(udp) and (${share23}) and not (tcp port 9910)`);
  assert.match(effectiveFilter(c.interfaces[1]!, c), /or not \(ip or ip6 or arp\)\) and not \(tcp port 9910\)$/, 'share 1 keeps the frames that are neither IP nor ARP');
  assert.equal(effectiveFilter(c.interfaces[2]!, c), shareExpression({ k: 2, n: 2 }));
  assert.doesNotMatch(shareExpression({ k: 2, n: 2 }), /not \(ip or ip6 or arp\)/, 'only share 1 keeps non-IP frames: none is seen twice');
});

test('pairShare: the same both ways, and a LAN talking to its gateway spreads over the shares', () => {
  const gw = ipv4('10.0.0.1');
  for (const n of [2, 3, 4, 8]) {
    const count = new Array<number>(n + 1).fill(0);
    for (let h = 2; h < 256; h++) {
      const host = ipv4(`10.0.0.${h}`);
      assert.equal(pairShare(host, gw, n), pairShare(gw, host, n));
      count[pairShare(host, gw, n)]++;
    }
    for (let k = 1; k <= n; k++) assert.ok(count[k] > 254 / n / 2 && count[k] < (254 / n) * 1.5, `n ${n}: share ${k} holds ${count[k]} of 254 hosts`);
  }
});

function open(filter: string): LivePacketSource | string {
  let n = 0;
  try {
    return openLiveCapture({ iface: 'lo', interfaceId: 0, filter, frameCounter: { next: () => ++n } });
  } catch (e) {
    if (isLlnError(e) && e.code === 'LLN_E_CAPTURE_PERMISSION') return `no permission to capture here (${e.message}): skipping`;
    throw e;
  }
}

/** Our datagrams (payload starting with `tag`) seen by one source, until `want` of them or the deadline. */
async function collect(src: LivePacketSource, tag: Buffer, want: number, ms: number): Promise<RawPacket[]> {
  const got: RawPacket[] = [];
  const timer = setTimeout(() => src.close(), ms);
  try {
    for await (const batch of src) {
      for (const p of batch) {
        const ihl = (p.data[14] & 15) * 4;
        if (Buffer.from(p.data.subarray(14 + ihl + 8, 14 + ihl + 8 + tag.length)).equals(tag)) got.push(p);
      }
      if (got.length >= want) break;
    }
  } finally {
    clearTimeout(timer);
    src.close();
  }
  return got;
}

test('live on lo: shares 1/2 and 2/2 see every datagram of 28 host pairs exactly once, a pair in the share the hash names', { skip: IS_ROOT ? false : 'live capture needs root: skipping' }, async (t) => {
  const n = 2;
  const sources = [1, 2].map((k) => open(`udp and (${shareExpression({ k, n })})`));
  const refused = sources.find((s) => typeof s === 'string');
  if (refused) {
    for (const s of sources) if (typeof s !== 'string') s.close();
    return t.skip(refused as string);
  }
  const srcs = sources as LivePacketSource[];
  const hosts = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
  const socks = await Promise.all(hosts.map((h) => new Promise<dgram.Socket>((r, j) => {
    const s = dgram.createSocket('udp4');
    s.once('error', j);
    s.bind(0, h, () => r(s));
  })));
  const tag = randomBytes(8);
  const expect = new Map<string, number>(); // payload id -> share
  const want = [0, 0];
  const sends: Promise<void>[] = [];
  for (let a = 0; a < hosts.length; a++) {
    for (let b = a + 1; b < hosts.length; b++) {
      const share = pairShare(ipv4(hosts[a]), ipv4(hosts[b]), n);
      for (const [from, to] of [[a, b], [b, a]]) {
        const id = `${hosts[from]}>${hosts[to]}`;
        expect.set(id, share);
        want[share - 1]++;
        const payload = Buffer.concat([tag, Buffer.from(id)]);
        sends.push(new Promise((r, j) => socks[from].send(payload, socks[to].address().port, hosts[to], (e) => (e ? j(e) : r()))));
      }
    }
  }
  const got = srcs.map((s, i) => collect(s, tag, want[i], 8000));
  await Promise.all(sends);
  const seen = await Promise.all(got);
  for (const s of socks) s.close();

  assert.ok(want[0] > 0 && want[1] > 0, `both shares hold pairs (${want.join(' / ')} datagrams)`);
  const where = new Map<string, number[]>();
  seen.forEach((packets, i) => {
    for (const p of packets) {
      const ihl = (p.data[14] & 15) * 4;
      const id = Buffer.from(p.data.subarray(14 + ihl + 8 + tag.length, p.capLen)).toString();
      where.set(id, [...(where.get(id) ?? []), i + 1]);
    }
  });
  for (const [id, share] of expect) assert.deepEqual(where.get(id), [share], `${id}: seen in share(s) ${where.get(id) ?? 'none'}, the hash names ${share}`);
  assert.equal(where.size, expect.size);
});

const dir = tempDir('link-share');
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('daemon with share 1/2 on lo: captures exactly the datagrams of the host pairs in its share, and says so at start', { skip: IS_ROOT ? false : 'capture on lo needs root: skipping', timeout: 120_000 }, async () => {
  const port = await freePort();
  const file = path.join(dir, 'share.yaml');
  const receivers = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((h) => new Promise<dgram.Socket>((r, j) => {
    const s = dgram.createSocket('udp4');
    s.once('error', j);
    s.bind(0, h, () => r(s));
  })));
  const udpPorts = receivers.map((s) => s.address().port);
  writeFileSync(file, [
    'interfaces:', '  - name: lo', `    filter: "udp and (${udpPorts.map((p) => `port ${p}`).join(' or ')})"`, '    share: 1/2',
    `model:\n  dir: ${DEFAULT_MODEL}`, `outputs:\n  sqlite: ${path.join(dir, 'share.db')}`,
    'logging:\n  level: info\n  format: text', `metrics:\n  listen: 127.0.0.1:${port}`,
    `stateDir: ${path.join(dir, 'share-state')}`, 'user: root',
  ].join('\n') + '\n');
  const d = new DaemonProcess(file, port);
  await d.waitReady();
  // One sender on 127.0.0.1: each receiver is one host pair with it; three datagrams a pair.
  const sender = dgram.createSocket('udp4');
  let inShare = 0;
  try {
    for (const r of receivers) {
      const { address, port: p } = r.address();
      if (pairShare(ipv4('127.0.0.1'), ipv4(address), 2) === 1) inShare += 3;
      for (let i = 0; i < 3; i++) await new Promise<void>((res, rej) => sender.send(`datagram ${i}`, p, address, (e) => (e ? rej(e) : res())));
    }
  } finally {
    sender.close();
    for (const r of receivers) r.close();
  }
  assert.ok(inShare > 0 && inShare < 15, `the five pairs fall in both shares (${inShare / 3} in share 1): the test can tell a share from the whole`);
  await d.metricReaches('lln_packets_captured_total', 'interface="lo"', inShare, 20_000);
  for (let i = 0; i < 3; i++) await d.metric('lln_packets_captured_total', 'interface="lo"');
  const { code, final } = await d.stop();
  assert.equal(code, 0, d.log);
  assert.equal(Number(final[1]), inShare, `captured only share 1's datagrams:\n${d.log}`);
  assert.match(d.log, /capture on lo: share 1\/2 of the link/);
});
