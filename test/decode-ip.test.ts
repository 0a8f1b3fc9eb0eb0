import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '../src/capture/decode';
import { formatIpv6 } from '../src/capture/decode/addr-format';
import { bytes, ethernet, icmp, ipv4, ipv6, ipv6Bytes, rawPacket, tcp, udp } from './helpers/frame-builder';

const eth4 = (payload: Uint8Array): Uint8Array => ethernet({ type: 0x0800, payload });
const eth6 = (payload: Uint8Array): Uint8Array => ethernet({ type: 0x86dd, payload });

test('IPv4 with options: IHL, options length, DF, TTL, total length; TCP after the options', () => {
  const rr = bytes(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0); // record route, 11 bytes → padded to 12
  const pkt = ipv4({ src: '192.0.2.1', dst: '198.51.100.7', proto: 6, ttl: 200, df: true, options: rr, payload: tcp({ sport: 1, dport: 2, payload: bytes(9, 9) }) });
  const p = decode(rawPacket(eth4(pkt)));
  assert.equal(p.ipHeaderLen, 32);
  assert.equal(p.ipOptionsLen, 12);
  assert.equal(p.ipTotalLen, 32 + 20 + 2);
  assert.equal(p.ipDf, true);
  assert.equal(p.ipMf, false);
  assert.equal(p.fragOffset, 0);
  assert.equal(p.ttl, 200);
  assert.equal(p.dstPort, 2);
  assert.equal(p.payloadLen, 2);
  assert.equal(p.payloadOffset, 14 + 32 + 20);
  assert.equal(p.error, null);
});

test('IPv4 fragments: the first keeps its UDP header, later ones decode no transport', () => {
  const body = udp({ sport: 5000, dport: 6000, payload: new Uint8Array(100) });
  const firstFrag = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', proto: 17, mf: true, payload: body.subarray(0, 48) });
  const p = decode(rawPacket(eth4(firstFrag)));
  assert.equal(p.ipMf, true);
  assert.equal(p.fragOffset, 0);
  assert.equal(p.srcPort, 5000);
  assert.equal(p.payloadLen, 40, 'bounded by the fragment, not the UDP length');
  assert.equal(p.error, null, 'a UDP length beyond a first fragment is normal');

  const later = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', proto: 17, fragOffset: 48, payload: body.subarray(48) });
  const q = decode(rawPacket(eth4(later)));
  assert.equal(q.fragOffset, 48);
  assert.equal(q.ipMf, false);
  assert.equal(q.ipProto, 17);
  assert.equal(q.srcPort, -1);
  assert.equal(q.payloadLen, -1);
  assert.equal(q.error, null);
});

test('IPv4 problems: IHL < 5, total length < header, length beyond the frame, wrong version', () => {
  const ok = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: tcp({ sport: 1, dport: 2 }) });
  assert.equal(decode(rawPacket(eth4(ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, ihlWords: 4, payload: new Uint8Array(20) })))).error, 'bad_ipv4_header');
  assert.equal(decode(rawPacket(eth4(ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 19, payload: new Uint8Array(20) })))).error, 'bad_ipv4_header');
  const long = decode(rawPacket(eth4(ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 400, payload: tcp({ sport: 1, dport: 2 }) }))));
  assert.equal(long.error, 'ip_length_mismatch');
  assert.equal(long.payloadLen, 0, 'bounded by the bytes the frame had');
  const v6 = ok.slice();
  v6[0] = 0x65;
  assert.equal(decode(rawPacket(eth4(v6))).error, 'bad_ipv4_header');
});

test('IPv4 Ethernet padding is not payload; total length 0 (TSO) takes the frame length', () => {
  const pkt = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: tcp({ sport: 1, dport: 2 }) });
  const padded = ethernet({ type: 0x0800, payload: new Uint8Array([...pkt, 0, 0, 0, 0, 0, 0]) });
  const p = decode(rawPacket(padded));
  assert.equal(p.payloadLen, 0);
  assert.equal(p.payloadOffset, -1);
  const tso = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 0, payload: tcp({ sport: 1, dport: 2, payload: new Uint8Array(1000) }) });
  const q = decode(rawPacket(eth4(tso)));
  assert.equal(q.ipTotalLen, 1040);
  assert.equal(q.payloadLen, 1000);
  assert.equal(q.error, null);
});

test('IPv6 extension chain: hop-by-hop, routing, destination options, fragment, then TCP', () => {
  const pkt = ipv6({
    src: '2001:db8:0:0:1:0:0:1', dst: 'ff02::1:ff00:1', nextHeader: 6, hopLimit: 255,
    ext: [{ type: 0 }, { type: 43, len8: 1 }, { type: 60 }, { type: 44, fragOffset: 0, mf: true }],
    payload: tcp({ sport: 22, dport: 40000, flags: 0x18, payload: new Uint8Array(10) }),
  });
  const p = decode(rawPacket(eth6(pkt)));
  assert.equal(p.error, null);
  assert.equal(p.ipv6ExtCount, 4);
  assert.equal(p.ipProto, 6);
  assert.equal(p.ipHeaderLen, 40 + 8 + 16 + 8 + 8);
  assert.equal(p.ipMf, true);
  assert.equal(p.fragOffset, 0);
  assert.equal(p.srcIp, '2001:db8::1:0:0:1');
  assert.equal(p.dstIp, 'ff02::1:ff00:1');
  assert.equal(p.ttl, 255);
  assert.equal(p.srcPort, 22);
  assert.equal(p.payloadLen, 10);
});

test('IPv6 non-first fragment: offset from the fragment header, no transport decoded', () => {
  const pkt = ipv6({ src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 17, ext: [{ type: 44, fragOffset: 1232, mf: false }], payload: new Uint8Array(64) });
  const p = decode(rawPacket(eth6(pkt)));
  assert.equal(p.fragOffset, 1232);
  assert.equal(p.ipMf, false);
  assert.equal(p.ipProto, 17);
  assert.equal(p.srcPort, -1);
  assert.equal(p.error, null);
});

test('IPv6: AH is walked, ESP and No Next Header end the chain', () => {
  const ah = decode(rawPacket(eth6(ipv6({ src: '::1', dst: '::2', nextHeader: 58, ext: [{ type: 51 }], payload: icmp({ type: 128 }) }))));
  assert.equal(ah.ipv6ExtCount, 1);
  assert.equal(ah.ipProto, 58);
  assert.equal(ah.icmpType, 128);
  const esp = decode(rawPacket(eth6(ipv6({ src: '::1', dst: '::2', nextHeader: 50, ext: [{ type: 60 }], payload: new Uint8Array(32) }))));
  assert.equal(esp.ipProto, 50);
  assert.equal(esp.ipv6ExtCount, 1);
  assert.equal(esp.error, null);
  const none = decode(rawPacket(eth6(ipv6({ src: '::1', dst: '::2', nextHeader: 59, payload: new Uint8Array(0) }))));
  assert.equal(none.ipProto, 59);
});

test('IPv6 extension header longer than the payload length is bad_ipv6_ext', () => {
  const pkt = ipv6({ src: '::1', dst: '::2', nextHeader: 6, ext: [{ type: 60, len8: 10 }], payload: new Uint8Array(0) });
  pkt[4] = 0;
  pkt[5] = 16; // payload length says 16, the header claims 88
  const p = decode(rawPacket(eth6(pkt)));
  assert.equal(p.error, 'bad_ipv6_ext');
  assert.equal(p.srcPort, -1);
});

test('IPv6 text is RFC 5952 canonical (as tshark prints)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['2001:DB8:AAAA:0:0:0:0:FFFF', '2001:db8:aaaa::ffff'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longer run wins
    ['2620:fe:0:0:0:0:0:fe', '2620:fe::fe'],
  ];
  for (const [input, want] of cases) assert.equal(formatIpv6(Uint8Array.from(ipv6Bytes(input)), 0), want, input);
  const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
  assert.equal(formatIpv6(mapped, 0), '::ffff:192.0.2.1');
});
