import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decode } from '../src/capture/decode';
import { formatIpv4, formatIpv6, formatMac, ipv4Number } from '../src/capture/decode/addr-format';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { ContextTable } from '../src/features/context-table';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { FEATURE_COUNT, FEATURE_INDEX as I } from '../src/features/schema';
import { makeDecoded, makeUdp } from './helpers/decoded-factory';
import { ALL_SAMPLES, SKIP_NO_SAMPLES, sample } from './helpers/samples';

// The speed work (numeric table keys, address caches, memoised exp) must never change a
// value. bench/features-golden.ts proves bit-identity against stored hashes; these tests pin
// the properties that make it hold without any stored file.

async function rawsOf(name: string): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of openCaptureFiles([sample(name)])) out.push(...batch);
  return out;
}

function vectorHash(packets: DecodedPacket[], fx = new FeatureExtractor()): string {
  const v = new Float32Array(FEATURE_COUNT);
  const h = createHash('sha256');
  for (const p of packets) {
    fx.extract(p, v, 0);
    h.update(new Uint8Array(v.buffer));
  }
  return h.digest('hex');
}

test('same capture → bit-identical vectors, whatever the decoder caches held before', { skip: SKIP_NO_SAMPLES }, async () => {
  const a = await rawsOf('nb6-startup.pcap');
  const first = vectorHash(a.map((r) => decode(r)));
  // Fill the address caches with other hosts (ARP storm, nmap scan), then decode again.
  for (const name of ['arp-storm.pcap', 'nmap-vsn.pcap']) for (const r of await rawsOf(name)) decode(r);
  const again = vectorHash(a.map((r) => decode(r)));
  assert.equal(again, first);
  // And one extractor's state never leaks into another's.
  const other = new FeatureExtractor();
  vectorHash((await rawsOf('dns-remoteshell.pcap')).map((r) => decode(r)), other);
  assert.equal(vectorHash(a.map((r) => decode(r))), first);
  assert.notEqual(vectorHash(a.map((r) => decode(r)), other), first, 'state carried over changes the vectors');
});

test('decoded addresses equal a plain formatter on every sample (caches are transparent)', { skip: SKIP_NO_SAMPLES }, async () => {
  let checked = 0;
  for (const name of ALL_SAMPLES) {
    for (const r of await rawsOf(name)) {
      const p = decode(r);
      for (const ip of [p.srcIp, p.dstIp, p.arpSenderIp, p.arpTargetIp]) {
        if (ip === null || ip.includes(':')) continue;
        const n = ipv4Number(ip);
        assert.ok(n >= 0, ip);
        assert.equal([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), ip);
        checked++;
      }
    }
  }
  assert.ok(checked > 1000, `checked ${checked}`);
});

test('formatIpv4 / formatMac / formatIpv6 under cache collisions match a plain formatter', () => {
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 255;
  const d = new Uint8Array(6);
  for (let i = 0; i < 50_000; i++) {
    for (let k = 0; k < 6; k++) d[k] = i % 3 === 0 ? rnd() & 3 : rnd(); // many near-duplicates
    assert.equal(formatIpv4(d, 0), Array.from(d.subarray(0, 4)).join('.'));
    assert.equal(formatMac(d, 0), Array.from(d, (b) => b.toString(16).padStart(2, '0')).join(':'));
    const s = formatIpv4(d, 1);
    assert.equal(ipv4Number(s), ((d[1] << 24) | (d[2] << 16) | (d[3] << 8) | d[4]) >>> 0);
  }
  // IPv6 against the WHATWG URL serializer (RFC 5952 too; it differs only on IPv4-mapped
  // addresses, which these never are): random addresses, then ones that differ only in their
  // first group, so many share a cache slot in turn.
  const d6 = new Uint8Array(16);
  const v6 = (): string => {
    const hex = Array.from({ length: 8 }, (_, g) => ((d6[2 * g] << 8) | d6[2 * g + 1]).toString(16)).join(':');
    return new URL(`http://[${hex}]/`).hostname.slice(1, -1);
  };
  for (let i = 0; i < 70_000; i++) {
    if (i < 4464) for (let k = 0; k < 16; k++) d6[k] = k < 8 && i % 2 === 0 ? 0 : rnd() & (i % 5 === 0 ? 1 : 255);
    else {
      d6[0] = (i >> 8) & 255;
      d6[1] = i & 255;
    }
    d6[10] = 0; // never ::ffff:a.b.c.d
    const s6 = formatIpv6(d6, 0);
    if (s6 !== v6()) assert.fail(`ipv6 ${s6} vs ${v6()} at ${i}`);
  }
  // Addresses that differ only in their first two bytes: many share a cache slot in turn.
  for (let hi = 0; hi < 65536; hi++) {
    d[0] = hi >> 8;
    d[1] = hi & 255;
    const mac = formatMac(d, 0);
    const ip = formatIpv4(d, 0);
    if (mac !== Array.from(d, (b) => b.toString(16).padStart(2, '0')).join(':')) assert.fail(`mac ${mac} at ${hi}`);
    if (ip !== Array.from(d.subarray(0, 4)).join('.')) assert.fail(`ip ${ip} at ${hi}`);
  }
});

test('ipv4Number accepts exactly the canonical dotted quad', () => {
  assert.equal(ipv4Number('0.0.0.0'), 0);
  assert.equal(ipv4Number('255.255.255.255'), 2 ** 32 - 1);
  assert.equal(ipv4Number('10.0.0.1'), 0x0a000001);
  for (const s of ['', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '01.2.3.4', '1.2.3.00', '256.1.1.1', '1.2.3.4a',
    '::1', 'fe80::1', '02:00:00:00:00:01', '1.2.3.-4', ' 1.2.3.4', '1.2.3.1000']) {
    assert.equal(ipv4Number(s), -1, JSON.stringify(s));
  }
});

/** The documented eviction, written the obvious way: two Maps, young and old. */
class ReferenceTable {
  young = new Map<string, true>();
  old = new Map<string, true>();
  evictions = 0;
  constructor(private readonly half: number) {}
  private rotate(): void {
    if (this.young.size < this.half) return;
    this.evictions += this.old.size;
    this.old = this.young;
    this.young = new Map();
  }
  /** Returns whether the key was present. */
  touch(k: string): boolean {
    if (this.young.has(k)) return true;
    const had = this.old.delete(k);
    this.rotate();
    this.young.set(k, true);
    return had;
  }
}

test('context table: numeric and string keys share the documented two-generation eviction', () => {
  for (const cap of [2, 3, 10, 64]) {
    const t = new ContextTable(cap, 1, (slab, b) => (slab[b] = 0));
    const ref = new ReferenceTable(Math.floor(cap / 2));
    let seed = cap;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const id = seed % (cap * 3); // keys recur often enough to be hits, rarely enough to be evicted
      const numeric = id % 2 === 0;
      const words = [id, -id, id * 65537, 0x7fffffff - id];
      const refKey = numeric ? `n${id}` : `s${id}`;
      let b = numeric ? t.findNum(words[0], words[1], words[2], words[3]) : t.find(refKey);
      const present = b >= 0;
      if (!present) b = numeric ? t.insertNum(words[0], words[1], words[2], words[3]) : t.insert(refKey);
      assert.equal(present, ref.touch(refKey), `cap ${cap} op ${i} key ${refKey}`);
      if (present) assert.equal(t.slab[b], id, 'a hit returns its own slot');
      t.slab[b] = id;
      assert.equal(t.size, ref.young.size + ref.old.size);
      assert.ok(t.size <= cap);
    }
    assert.equal(t.evictions, ref.evictions);
    assert.ok(t.evictions > 1000, `cap ${cap}: eviction exercised (${t.evictions})`);
  }
});

test('an IPv4 host seen by ARP and by IP is one host; an IPv6 host keeps working under caps', () => {
  const fx = new FeatureExtractor({ maxHosts: 8, maxChannels: 8, maxSockets: 8 });
  const v = new Float32Array(FEATURE_COUNT);
  fx.extract(makeDecoded({ l3: 'arp', etherType: 0x0806, ipProto: -1, srcIp: null, dstIp: null, arpOp: 1, arpSenderIp: '10.0.0.5', arpTargetIp: '10.0.0.9', srcPort: -1, dstPort: -1, tcpFlags: -1 }), v, 0);
  fx.extract(makeUdp('10.0.0.5', 5000, '10.0.0.9', 53, 30, 1_700_000_000.5), v, 0);
  assert.deepEqual({ ...fx.stats(), arpRequests: 0 }, { hosts: 1, channels: 1, sockets: 2, evictions: 0, arpRequests: 0, nonFinite: 0 });
  assert.equal(v[I.flow_first], 1, 'UDP is a new flow beside the ARP one');

  // 40 IPv6 sources (string keys) and 40 IPv4 sources (numeric keys) interleaved, then the first
  // of each again: both were evicted, so both start a fresh flow.
  for (let i = 0; i < 40; i++) {
    fx.extract(makeUdp(`2001:db8::${i + 1}`, 6000, '2001:db8::ff', 53, 30, 1_700_000_001 + i, { l3: 'ipv6', etherType: 0x86dd }), v, 0);
    fx.extract(makeUdp(`10.1.0.${i + 1}`, 6000, '10.0.0.9', 53, 30, 1_700_000_001 + i), v, 0);
    const s = fx.stats();
    assert.ok(s.hosts <= 8 && s.channels <= 8 && s.sockets <= 8, JSON.stringify(s));
  }
  fx.extract(makeUdp('2001:db8::1', 6000, '2001:db8::ff', 53, 30, 1_700_000_050, { l3: 'ipv6', etherType: 0x86dd }), v, 0);
  assert.equal(v[I.flow_first], 1);
  fx.extract(makeUdp('10.1.0.1', 6000, '10.0.0.9', 53, 30, 1_700_000_051), v, 0);
  assert.equal(v[I.flow_first], 1);
  // While a flow in active use survives the same pressure.
  fx.extract(makeUdp('10.1.0.1', 6000, '10.0.0.9', 53, 30, 1_700_000_052), v, 0);
  assert.equal(v[I.flow_first], 0);
  assert.ok(fx.stats().evictions > 100);
});
