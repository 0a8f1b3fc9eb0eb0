import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { FEATURE_COUNT, FEATURE_INDEX as I, featureNames } from '../src/features/schema';
import { makeDecoded, makeDns, makeUdp } from './helpers/decoded-factory';
import { assertLog1p } from './helpers/log1p-close';

const F = FEATURE_COUNT;

function vectors(packets: DecodedPacket[], fx = new FeatureExtractor()): Float32Array[] {
  return packets.map((p) => {
    const v = new Float32Array(F);
    fx.extract(p, v, 0);
    return v;
  });
}

test('extractor: per-packet columns of a TCP SYN to port 80', () => {
  const [v] = vectors([makeDecoded({ tcpFlags: 0x12, origLen: 74 })]);
  assertLog1p(v[I.frame_len], 74);
  assertLog1p(v[I.ip_len], 60);
  assertLog1p(v[I.header_len], 60);
  assert.equal(v[I.ttl], 64);
  assert.equal(v[I.proto_tcp], 1);
  assert.equal(v[I.proto_udp] + v[I.proto_icmp] + v[I.proto_arp] + v[I.proto_other] + v[I.proto_icmpv6], 0);
  assert.equal(v[I.tcp_syn], 1);
  assert.equal(v[I.tcp_ack], 1);
  assert.equal(v[I.tcp_fin] + v[I.tcp_rst] + v[I.tcp_psh] + v[I.tcp_urg] + v[I.tcp_ece] + v[I.tcp_cwr], 0);
  assert.equal(v[I.tcp_options_len], 20);
  assert.equal(v[I.svc_http], 1);
  assert.equal(v[I.svc_https], 0);
  assert.equal(v[I.dst_port_wellknown], 1);
  assert.equal(v[I.src_port_ephemeral], 0, '40000 is a registered port');
  assert.equal(v[I.src_port_wellknown], 0);
  assert.equal(v[I.ip_df], 1);
  assert.equal(v[I.flow_first], 1);
  assert.equal(v[I.iat_global], 0);
  assertLog1p(v[I.global_new_host_rate], 1);
});

test('extractor: flow index, bytes and inter-arrival time follow the flow in both directions', () => {
  const t0 = 1_700_000_000;
  const a = makeUdp('10.0.0.1', 5000, '10.0.0.2', 6000, 100, t0);
  const b = makeUdp('10.0.0.2', 6000, '10.0.0.1', 5000, 200, t0 + 0.001);
  const other = makeUdp('10.0.0.3', 5000, '10.0.0.2', 6000, 10, t0 + 0.002);
  const c = makeUdp('10.0.0.1', 5000, '10.0.0.2', 6000, 100, t0 + 0.003);
  const [va, vb, vo, vc] = vectors([a, b, other, c]);
  assert.equal(va[I.flow_first], 1);
  assert.equal(vb[I.flow_first], 0);
  assert.equal(vo[I.flow_first], 1);
  assertLog1p(vc[I.flow_pkt_index], 3);
  assertLog1p(vc[I.flow_bytes], 142 + 242 + 142);
  assert.ok(Math.abs(vb[I.iat_flow] - Math.log1p(1000)) < 1e-3, `iat_flow ${vb[I.iat_flow]}`);
  assert.ok(Math.abs(vc[I.iat_flow] - Math.log1p(2000)) < 1e-3);
  assert.ok(Math.abs(vc[I.iat_global] - Math.log1p(1000)) < 1e-3);
  assert.equal(vc[I.proto_udp], 1);
  assert.equal(vc[I.src_port_wellknown] + vc[I.src_port_ephemeral], 0);
});

test('extractor: DNS conformance and question-name shape', () => {
  const t = 1_700_000_000;
  const good = makeUdp('10.0.0.1', 50000, '10.0.0.53', 53, 33, t, { dns: makeDns({ qname: 'www.example.com' }) });
  const bad = makeUdp('10.0.0.1', 50001, '10.0.0.53', 53, 88, t + 1, { dns: makeDns({ valid: false, qname: '' }) });
  const empty = makeUdp('10.0.0.1', 50002, '10.0.0.53', 53, 0, t + 2, { dns: null });
  const [vg, vb, ve] = vectors([good, bad, empty]);
  assert.equal(vg[I.dns_not_dns], 0);
  assert.equal(vb[I.dns_not_dns], 1);
  assert.equal(ve[I.dns_not_dns], 0, 'no payload: nothing to judge');
  assert.equal(vg[I.svc_dns], 1);
  assert.equal(vg[I.src_port_ephemeral], 1);
  assert.equal(vg[I.dns_qname_labels], 3);
  assertLog1p(vg[I.dns_qname_len], 15);
  // 'www.example.com': w3 .2 e2 x1 a1 m2 p1 l1 c1 o1 → entropy by hand
  const counts = [3, 2, 2, 1, 1, 2, 1, 1, 1, 1];
  const h = -counts.reduce((s, c) => s + (c / 15) * Math.log2(c / 15), 0);
  assert.ok(Math.abs(vg[I.dns_qname_entropy] - h) < 1e-5);
  assert.equal(vb[I.dns_qname_len], 0);
});

test('extractor: ARP replies without a request and gratuitous ARP are flagged', () => {
  const arp = (op: number, s: string, tIp: string, ts: number) =>
    makeDecoded({ l3: 'arp', etherType: 0x0806, srcIp: null, dstIp: null, ipProto: -1, ttl: -1, ipTotalLen: -1, ipHeaderLen: -1, ipDf: false,
      srcPort: -1, dstPort: -1, tcpFlags: -1, tcpWindow: -1, tcpHeaderLen: -1, tcpOptionsLen: -1, payloadLen: -1, origLen: 42, capLen: 42,
      arpOp: op, arpSenderIp: s, arpTargetIp: tIp, arpSenderMac: '02:00:00:00:00:01', ts });
  const t = 1_700_000_000;
  const [req, rep, rep2, unsol, grat, late] = vectors([
    arp(1, '10.0.0.1', '10.0.0.2', t), arp(2, '10.0.0.2', '10.0.0.1', t + 0.01), arp(2, '10.0.0.2', '10.0.0.1', t + 0.02),
    arp(2, '10.0.0.9', '10.0.0.1', t + 1), arp(2, '10.0.0.7', '10.0.0.7', t + 2),
    arp(1, '10.0.0.1', '10.0.0.3', t + 3),
  ]);
  assert.equal(req[I.proto_arp], 1);
  assert.equal(req[I.arp_unsolicited_reply] + req[I.arp_gratuitous], 0);
  assert.equal(rep[I.arp_unsolicited_reply], 0);
  assert.equal(rep2[I.arp_unsolicited_reply], 0, 'a duplicate reply to one request is not flagged');
  assert.equal(unsol[I.arp_unsolicited_reply], 1);
  assert.equal(grat[I.arp_gratuitous], 1);
  assert.equal(grat[I.arp_unsolicited_reply], 0);
  assert.equal(late[I.ttl], 0);
  const fx = new FeatureExtractor();
  vectors([arp(1, '10.0.0.1', '10.0.0.2', t)], fx);
  const [stale] = vectors([arp(2, '10.0.0.2', '10.0.0.1', t + 31)], fx);
  assert.equal(stale[I.arp_unsolicited_reply], 1, 'a reply 31 s after the request');
});

test('extractor: ICMP classes, IPv6, fragments and decode errors', () => {
  const [echo, unreach, v6err, frag, trunc, bad] = vectors([
    makeDecoded({ ipProto: 1, tcpFlags: -1, srcPort: -1, dstPort: -1, icmpType: 8, icmpCode: 0 }),
    makeDecoded({ ipProto: 1, tcpFlags: -1, srcPort: -1, dstPort: -1, icmpType: 3, icmpCode: 3 }),
    makeDecoded({ l3: 'ipv6', srcIp: 'fe80::1', dstIp: 'fe80::2', ipProto: 58, tcpFlags: -1, srcPort: -1, dstPort: -1, icmpType: 1 }),
    makeDecoded({ ipProto: 17, tcpFlags: -1, ipMf: false, fragOffset: 1480, srcPort: -1, dstPort: -1, payloadLen: -1 }),
    makeDecoded({ error: 'truncated_tcp' }),
    makeDecoded({ error: 'bad_ipv4_header' }),
  ]);
  assert.equal(echo[I.icmp_echo], 1);
  assert.equal(echo[I.proto_icmp], 1);
  assert.equal(unreach[I.icmp_error], 1);
  assert.equal(unreach[I.icmp_echo], 0);
  assert.equal(v6err[I.proto_icmpv6], 1);
  assert.equal(v6err[I.is_ipv6], 1);
  assert.equal(v6err[I.icmp_error], 1);
  assert.equal(frag[I.ip_fragment], 1);
  assertLog1p(frag[I.header_len], 20);
  assert.equal(trunc[I.decode_truncated], 1);
  assert.equal(trunc[I.decode_malformed], 0);
  assert.equal(bad[I.decode_malformed], 1);
});

test('extractor: a flood of new sources raises the global new-host rate; a port scan raises the source new-flow rate', () => {
  const t0 = 1_700_000_000;
  const fx = new FeatureExtractor();
  const v = new Float32Array(F);
  for (let i = 0; i < 200; i++) fx.extract(makeUdp('10.0.0.1', 5000, '10.0.0.2', 53, 40, t0 + i * 0.01), v, 0);
  const calmNewHost = v[I.global_new_host_rate];
  const calmNewFlow = v[I.host_new_flow_rate];
  for (let i = 0; i < 200; i++) fx.extract(makeUdp(`172.16.${i >> 8}.${i & 255}`, 5000, '10.0.0.2', 53, 40, t0 + 2 + i * 0.01), v, 0);
  assert.ok(v[I.global_new_host_rate] > calmNewHost + 2, `${calmNewHost} → ${v[I.global_new_host_rate]}`);
  for (let i = 0; i < 200; i++) fx.extract(makeDecoded({ srcIp: '10.0.0.66', dstPort: 1 + i, ts: t0 + 5 + i * 0.01 }), v, 0);
  assert.ok(v[I.host_new_flow_rate] > calmNewFlow + 2, `${calmNewFlow} → ${v[I.host_new_flow_rate]}`);
  assert.equal(v[I.host_new_dst_rate] < v[I.host_new_flow_rate], true, 'one destination, many ports');
});

test('extractor: adversarial packets never give NaN/Infinity', () => {
  const ps: DecodedPacket[] = [
    makeDecoded({ origLen: 0, capLen: 0, ipTotalLen: 0, ipHeaderLen: 0, payloadLen: 0, ts: 0 }),
    makeDecoded({ ts: 0 }), makeDecoded({ ts: 0 }), makeDecoded({ ts: -5 }),
    makeDecoded({ ts: 1e15, origLen: 4_294_967_295, ipTotalLen: 65535, payloadLen: 100_000, tcpWindow: 2 ** 31, tcpOptionsLen: 1e9, ttl: 1e12 }),
    makeDecoded({ ts: 3 }), makeDecoded({ ts: NaN }), makeDecoded({ ts: Infinity, origLen: Number.MAX_VALUE }),
    makeDecoded({ l3: 'none', srcIp: null, dstIp: null, srcMac: null, dstMac: null, ipProto: -1, srcPort: -1, dstPort: -1, tcpFlags: -1, error: 'truncated_link', ts: 4 }),
    makeDecoded({ l3: 'ipv6', ipProto: 58, icmpType: 255, srcPort: -1, dstPort: -1, tcpFlags: -1, ts: 1e300 }),
    makeUdp('10.0.0.1', 53, '10.0.0.1', 53, 65535, -1e300, { dns: makeDns({ qname: 'x'.repeat(300) }) }),
  ];
  const fx = new FeatureExtractor();
  for (let round = 0; round < 3; round++) {
    for (const v of vectors(ps, fx)) {
      v.forEach((x, i) => assert.ok(Number.isFinite(x), `${featureNames()[i]} = ${x}`));
    }
  }
});

test('extractor: two extractors over the same packets give bit-identical vectors', () => {
  const t0 = 1_700_000_000;
  const ps: DecodedPacket[] = [];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 3000; i++) {
    const src = `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 20)}`;
    ps.push(rnd() < 0.5
      ? makeUdp(src, 1024 + Math.floor(rnd() * 60000), '10.0.0.53', 53, Math.floor(rnd() * 500), t0 + i * rnd() * 0.01)
      : makeDecoded({ srcIp: src, dstPort: [22, 80, 443][i % 3], tcpFlags: Math.floor(rnd() * 256), origLen: 60 + Math.floor(rnd() * 1400), ts: t0 + i * 0.003 }));
  }
  const a = vectors(ps);
  const b = vectors(ps);
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual(new Uint32Array(a[i].buffer), new Uint32Array(b[i].buffer), `packet ${i}`);
  }
});
