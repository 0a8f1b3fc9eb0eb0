import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { communityId, parseIp } from '../src/outputs/community-id';
import { SKIP_NO_SAMPLES, sample } from './helpers/samples';

// Published vectors (the spec's README, c-community-id, and the Elasticsearch/OpenSearch
// community_id processor tests), seed 0.
const VECTORS: [number, string, string, number, number, string][] = [
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 0, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
];

test('community id: published vectors, both directions', () => {
  for (const [proto, a, b, pa, pb, want] of VECTORS) {
    assert.equal(communityId(proto, a, b, pa, pb), want, `${a}:${pa} -> ${b}:${pb}`);
    if (proto !== 1 && proto !== 58) assert.equal(communityId(proto, b, a, pb, pa), want, `reverse ${b} -> ${a}`);
  }
  // ICMP echo request and its reply are one flow.
  assert.equal(communityId(1, '192.168.0.1', '192.168.0.89', 0, 0), '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
  // The seed changes the hash.
  assert.notEqual(communityId(6, '128.232.110.120', '66.35.250.204', 34855, 80, 1), VECTORS[0][5]);
});

test('community id: portless packets hash addresses only; no id for mixed families', () => {
  const frag = communityId(17, '10.0.0.2', '10.0.0.1', null, null);
  assert.match(frag ?? '', /^1:/);
  assert.equal(communityId(17, '10.0.0.1', '10.0.0.2', null, null), frag, 'direction-independent');
  assert.notEqual(frag, communityId(17, '10.0.0.1', '10.0.0.2', 1, 2));
  assert.equal(communityId(17, '10.0.0.1', '::1', 1, 2), null);
  assert.equal(communityId(6, 'not-an-ip', '10.0.0.2', 1, 2), null);
  assert.match(communityId(47, '10.0.0.1', '10.0.0.2', null, null) ?? '', /^1:[A-Za-z0-9+/]{27}=$/);
});

test('parseIp: IPv6 compression, embedded IPv4, zone ids; rejects junk', () => {
  assert.deepEqual([...parseIp('::ffff:1.2.3.4')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
  assert.deepEqual([...parseIp('fe80::1%eth0')!].slice(0, 2), [0xfe, 0x80]);
  assert.equal(parseIp('::')!.length, 16);
  for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '']) assert.equal(parseIp(bad), null, bad);
});

/** tshark's own Community ID (Wireshark's communityid post-dissector) as an oracle on real captures. */
test('community id: equals tshark on real captures', { skip: SKIP_NO_SAMPLES }, (t) => {
  const fields = [
    'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto', 'ipv6.nxt', 'tcp.srcport', 'tcp.dstport', 'udp.srcport',
    'udp.dstport', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code', 'communityid',
  ];
  let checked = 0;
  for (const name of ['dns-remoteshell.pcap', 'nb6-startup.pcap', 'nmap-vsn.pcap', 'http.cap', 'teardrop.cap']) {
    let out: string;
    try {
      out = execFileSync('tshark', ['--enable-protocol', 'communityid', '-r', sample(name), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      t.skip('tshark not available');
      return;
    }
    for (const line of out.split('\n')) {
      const v = line.split('\t');
      const want = v[14];
      // Skip packets without an id and ICMP errors / tunnels (several IP layers per packet).
      if (!want || v.some((x) => x.includes(','))) continue;
      // IPv6 in IPv4 (6in4, L2TP): tshark hashes one layer; the fields name both.
      if ((v[0] || v[1]) && (v[2] || v[3])) continue;
      const src = v[0] || v[2];
      const dst = v[1] || v[3];
      const proto = Number(v[4] || v[5]);
      const sp = v[6] || v[8] || v[10] || v[12];
      const dp = v[7] || v[9] || v[11] || v[13];
      assert.equal(communityId(proto, src, dst, sp ? Number(sp) : null, dp ? Number(dp) : null), want, `${name}: ${line}`);
      checked++;
    }
  }
  assert.ok(checked > 400, `compared ${checked} packets`);
});
