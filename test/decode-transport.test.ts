import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '../src/capture/decode';
import { arp, bytes, ethernet, icmp, ipv4, ipv6, rawPacket, tcp, udp } from './helpers/frame-builder';

const eth4 = (proto: number, payload: Uint8Array): Uint8Array =>
  ethernet({ type: 0x0800, payload: ipv4({ src: '172.16.0.1', dst: '172.16.0.2', proto, payload }) });

test('TCP: ports, flags, window, unsigned seq/ack, header and options length, payload', () => {
  const seg = tcp({
    sport: 65535, dport: 80, seq: 0xfffffffe, ack: 0x80000001, flags: 0xc2, window: 1234,
    options: bytes(2, 4, 5, 0xb4, 1, 3, 3, 7), payload: new Uint8Array(30),
  });
  const p = decode(rawPacket(eth4(6, seg)));
  assert.equal(p.srcPort, 65535);
  assert.equal(p.dstPort, 80);
  assert.equal(p.tcpSeq, 4294967294);
  assert.equal(p.tcpAck, 2147483649);
  assert.equal(p.tcpFlags, 0xc2);
  assert.equal(p.tcpWindow, 1234);
  assert.equal(p.tcpHeaderLen, 28);
  assert.equal(p.tcpOptionsLen, 8);
  assert.equal(p.payloadLen, 30);
  assert.equal(p.payloadOffset, 14 + 20 + 28);
  assert.equal(p.error, null);
  assert.equal(p.dns, null, 'not a DNS port');
});

test('TCP under a snaplen cut: payloadLen from the IP length, no payloadOffset, no error', () => {
  const frame = eth4(6, tcp({ sport: 1, dport: 2, payload: new Uint8Array(1400) }));
  const raw = rawPacket(frame.subarray(0, 54), 1, { origLen: frame.length });
  const p = decode(raw);
  assert.equal(p.payloadLen, 1400);
  assert.equal(p.payloadOffset, -1);
  assert.equal(p.error, null);
  const cutHeader = decode(rawPacket(frame.subarray(0, 44), 1, { origLen: frame.length }));
  assert.equal(cutHeader.error, 'truncated_tcp');
  assert.equal(cutHeader.srcPort, 1, 'ports still read when present');
});

test('TCP data offset below 5 words or beyond the IP length is bad_tcp_offset', () => {
  assert.equal(decode(rawPacket(eth4(6, tcp({ sport: 1, dport: 2, dataOffsetWords: 4 })))).error, 'bad_tcp_offset');
  assert.equal(decode(rawPacket(eth4(6, tcp({ sport: 1, dport: 2, dataOffsetWords: 15 })))).error, 'bad_tcp_offset');
});

test('UDP: ports, payload from the UDP length; inconsistent length is bad_udp_length', () => {
  const p = decode(rawPacket(eth4(17, udp({ sport: 123, dport: 123, payload: new Uint8Array(48) }))));
  assert.equal(p.srcPort, 123);
  assert.equal(p.payloadLen, 48);
  assert.equal(p.payloadOffset, 42);
  assert.equal(p.error, null);
  const longer = decode(rawPacket(eth4(17, udp({ sport: 1, dport: 2, payload: new Uint8Array(10), length: 300 }))));
  assert.equal(longer.error, 'bad_udp_length');
  assert.equal(longer.payloadLen, 10);
  const tiny = decode(rawPacket(eth4(17, udp({ sport: 1, dport: 2, payload: new Uint8Array(10), length: 4 }))));
  assert.equal(tiny.error, 'bad_udp_length');
  // UDP length shorter than the IP payload is legal (trailing bytes are not UDP payload).
  const shorter = decode(rawPacket(eth4(17, udp({ sport: 1, dport: 2, payload: new Uint8Array(10), length: 12 }))));
  assert.equal(shorter.error, null);
  assert.equal(shorter.payloadLen, 4);
});

test('ICMP and ICMPv6 type/code', () => {
  const p = decode(rawPacket(eth4(1, icmp({ type: 3, code: 13, payload: new Uint8Array(28) }))));
  assert.equal(p.icmpType, 3);
  assert.equal(p.icmpCode, 13);
  assert.equal(p.payloadLen, 28);
  assert.equal(p.srcPort, -1);
  const q = decode(rawPacket(ethernet({ type: 0x86dd, payload: ipv6({ src: 'fe80::1', dst: 'ff02::2', nextHeader: 58, payload: icmp({ type: 133 }) }) })));
  assert.equal(q.icmpType, 133);
  assert.equal(q.icmpCode, 0);
  assert.equal(decode(rawPacket(eth4(1, bytes(8, 0, 0)))).error, 'truncated_icmp');
});

test('ARP: op, sender/target IPv4, sender MAC; truncated body is truncated_arp', () => {
  const body = arp({ op: 2, senderMac: '00:90:D0:EB:46:E7', senderIp: '192.168.1.1', targetMac: '00:0e:35:78:0c:02', targetIp: '192.168.1.3' });
  const p = decode(rawPacket(ethernet({ type: 0x0806, payload: body })));
  assert.equal(p.l3, 'arp');
  assert.equal(p.arpOp, 2);
  assert.equal(p.arpSenderIp, '192.168.1.1');
  assert.equal(p.arpTargetIp, '192.168.1.3');
  assert.equal(p.arpSenderMac, '00:90:d0:eb:46:e7');
  assert.equal(p.srcIp, null);
  const cut = decode(rawPacket(ethernet({ type: 0x0806, payload: body.subarray(0, 20) })));
  assert.equal(cut.error, 'truncated_arp');
  assert.equal(cut.arpOp, 2);
});
