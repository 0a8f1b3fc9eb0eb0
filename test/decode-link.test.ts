import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, DecodeCounters } from '../src/capture/decode';
import {
  arp, bytes, concat, ethernet, ipv4, ipv6, loopback, pppoeSession, rawPacket, sll, sll2, tcp, udp,
} from './helpers/frame-builder';

const v4udp = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, ttl: 33, payload: udp({ sport: 1111, dport: 2222, payload: bytes(1, 2, 3) }) });
const v6tcp = ipv6({ src: '2001:db8::1', dst: 'fe80::2', nextHeader: 6, hopLimit: 7, payload: tcp({ sport: 443, dport: 50000, flags: 0x12 }) });

test('Ethernet II: MACs lowercase, ethertype, IPv4/UDP beneath', () => {
  const p = decode(rawPacket(ethernet({ src: 'AA:BB:CC:00:11:22', dst: 'ff:ff:ff:ff:ff:ff', type: 0x0800, payload: v4udp })));
  assert.equal(p.srcMac, 'aa:bb:cc:00:11:22');
  assert.equal(p.dstMac, 'ff:ff:ff:ff:ff:ff');
  assert.equal(p.etherType, 0x0800);
  assert.equal(p.l3, 'ipv4');
  assert.equal(p.srcIp, '10.0.0.1');
  assert.equal(p.ttl, 33);
  assert.equal(p.dstPort, 2222);
  assert.equal(p.payloadLen, 3);
  assert.equal(p.error, null);
  assert.equal(p.ts, 1_700_000_000);
});

test('timestamp: ts = tsSec + tsNsec/1e9', () => {
  const p = decode(rawPacket(ethernet({ type: 0x0800, payload: v4udp }), 1, { tsSec: 1000, tsNsec: 250_000_000 }));
  assert.equal(p.ts, 1000.25);
});

test('802.3 length field: l3 other; LLC/SNAP carrying IPv4 is followed', () => {
  const stp = concat(bytes(0x42, 0x42, 0x03), new Uint8Array(35));
  const p = decode(rawPacket(ethernet({ type: stp.length, payload: stp })));
  assert.equal(p.l3, 'other');
  assert.equal(p.error, null);
  const snap = concat(bytes(0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00), v4udp);
  const q = decode(rawPacket(ethernet({ type: snap.length, payload: snap })));
  assert.equal(q.l3, 'ipv4');
  assert.equal(q.srcPort, 1111);
});

test('stacked VLANs (802.1ad outer, 802.1Q inner, 0x9100): count, outer id, inner ethertype', () => {
  const frame = ethernet({
    type: 0x86dd, payload: v6tcp,
    vlans: [{ tpid: 0x88a8, id: 100, pcp: 5 }, { tpid: 0x9100, id: 200 }, { tpid: 0x8100, id: 4095 }],
  });
  const p = decode(rawPacket(frame));
  assert.equal(p.vlanCount, 3);
  assert.equal(p.vlanId, 100);
  assert.equal(p.etherType, 0x86dd);
  assert.equal(p.l3, 'ipv6');
  assert.equal(p.srcPort, 443);
  assert.equal(p.tcpFlags, 0x12);
  // A tag cut in half is a VLAN problem, not an IP one.
  const cut = decode(rawPacket(frame.subarray(0, 20))); // first tag whole, second cut
  assert.equal(cut.error, 'truncated_vlan');
  assert.equal(cut.vlanCount, 1);
});

test('Linux SLL (113) and SLL2 (276): sender MAC, protocol, IP and ARP beneath', () => {
  const a = decode(rawPacket(sll({ protocol: 0x0800, src: '00:11:22:33:44:55', payload: v4udp }), 113));
  assert.equal(a.srcMac, '00:11:22:33:44:55');
  assert.equal(a.dstMac, null);
  assert.equal(a.srcIp, '10.0.0.1');
  const b = decode(rawPacket(sll2({ protocol: 0x86dd, src: '00:11:22:33:44:66', payload: v6tcp }), 276));
  assert.equal(b.srcMac, '00:11:22:33:44:66');
  assert.equal(b.srcIp, '2001:db8::1');
  assert.equal(b.ttl, 7);
  const c = decode(rawPacket(sll({ protocol: 0x0806, payload: arp({ op: 1, senderMac: '00:00:5e:00:53:01', senderIp: '192.0.2.1', targetIp: '192.0.2.2' }) }), 113));
  assert.equal(c.l3, 'arp');
  assert.equal(c.arpOp, 1);
  const d = decode(rawPacket(sll({ protocol: 0x0004, payload: bytes(0x42, 0x42, 3) }), 113));
  assert.equal(d.l3, 'other');
  assert.equal(decode(rawPacket(new Uint8Array(15), 113)).error, 'truncated_link');
  assert.equal(decode(rawPacket(new Uint8Array(19), 276)).error, 'truncated_link');
});

test('raw IP link types pick v4/v6 by version nibble (101, 12, 14) or by link type (228, 229)', () => {
  for (const lt of [101, 12, 14]) {
    assert.equal(decode(rawPacket(v4udp, lt)).l3, 'ipv4', `linktype ${lt} v4`);
    assert.equal(decode(rawPacket(v6tcp, lt)).l3, 'ipv6', `linktype ${lt} v6`);
  }
  assert.equal(decode(rawPacket(v4udp, 228)).srcIp, '10.0.0.1');
  assert.equal(decode(rawPacket(v6tcp, 229)).dstIp, 'fe80::2');
  assert.equal(decode(rawPacket(v6tcp, 228)).error, 'bad_ipv4_header');
  assert.equal(decode(rawPacket(bytes(0x50, 0, 0), 101)).l3, 'other');
  assert.equal(decode(rawPacket(new Uint8Array(0), 101)).error, 'truncated_link');
});

test('BSD NULL loopback: AF in either byte order, every BSD AF_INET6 value; LOOP is network order', () => {
  for (const bigEndian of [false, true]) {
    assert.equal(decode(rawPacket(loopback(2, bigEndian, v4udp), 0)).srcIp, '10.0.0.1');
    for (const af6 of [24, 28, 30]) {
      const p = decode(rawPacket(loopback(af6, bigEndian, v6tcp), 0));
      assert.equal(p.l3, 'ipv6', `AF ${af6} ${bigEndian ? 'BE' : 'LE'}`);
      assert.equal(p.srcPort, 443);
    }
  }
  assert.equal(decode(rawPacket(loopback(2, true, v4udp), 108)).l3, 'ipv4');
  assert.equal(decode(rawPacket(loopback(30, true, v6tcp), 108)).l3, 'ipv6');
  assert.equal(decode(rawPacket(loopback(7, false, v4udp), 0)).l3, 'other');
  assert.equal(decode(rawPacket(bytes(2, 0, 0), 0)).error, 'truncated_link');
});

test('PPPoE session → PPP → IPv4 / IPv6; PPP control traffic is other', () => {
  const p = decode(rawPacket(ethernet({ type: 0x8864, payload: pppoeSession(0x0021, v4udp) })));
  assert.equal(p.etherType, 0x8864);
  assert.equal(p.l3, 'ipv4');
  assert.equal(p.dstPort, 2222);
  const q = decode(rawPacket(ethernet({ type: 0x8864, payload: pppoeSession(0x0057, v6tcp) })));
  assert.equal(q.l3, 'ipv6');
  const lcp = decode(rawPacket(ethernet({ type: 0x8864, payload: pppoeSession(0xc021, bytes(1, 1, 0, 4)) })));
  assert.equal(lcp.l3, 'other');
  assert.equal(lcp.error, null);
});

test('unknown link type and short Ethernet are recorded, never thrown', () => {
  const p = decode(rawPacket(v4udp, 147));
  assert.equal(p.error, 'unknown_link_type');
  assert.equal(p.l3, 'none');
  assert.equal(decode(rawPacket(new Uint8Array(13))).error, 'truncated_link');
});

test('capLen shorter than data.length bounds the decode', () => {
  const frame = ethernet({ type: 0x0800, payload: v4udp });
  const raw = rawPacket(frame);
  raw.capLen = 20;
  assert.equal(decode(raw).error, 'truncated_ipv4');
});

test('DecodeCounters counts packets and problems by reason', () => {
  const c = new DecodeCounters();
  c.add(decode(rawPacket(ethernet({ type: 0x0800, payload: v4udp }))));
  c.add(decode(rawPacket(v4udp, 147)));
  c.add(decode(rawPacket(v4udp, 147)));
  c.add(decode(rawPacket(new Uint8Array(5))));
  assert.equal(c.total, 4);
  assert.equal(c.errors, 3);
  assert.deepEqual(c.byReason(), { unknown_link_type: 2, truncated_link: 1 });
});
