import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '../src/capture/decode';
import { dnsNameAt } from '../src/capture/decode/dns-name';
import {
  ascii, bytes, concat, dnsHeader, dnsName, dnsPointer, dnsQuery, ethernet, ipv4, rawPacket, tcp, tcpDnsFraming, udp,
} from './helpers/frame-builder';

const overUdp = (msg: Uint8Array, sport = 40000, dport = 53): ReturnType<typeof decode> =>
  decode(rawPacket(ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.53', proto: 17, payload: udp({ sport, dport, payload: msg }) }) })));
const overTcp = (payload: Uint8Array, sport = 53): ReturnType<typeof decode> =>
  decode(rawPacket(ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.53', dst: '10.0.0.1', proto: 6, payload: tcp({ sport, dport: 40001, flags: 0x18, payload }) }) })));

test('UDP DNS query: header fields, first question name and type', () => {
  const p = overUdp(dnsQuery({ id: 0xbeef, name: 'www.Example.com', qtype: 28 }));
  assert.ok(p.dns);
  assert.equal(p.dns.valid, true);
  assert.equal(p.dns.id, 0xbeef);
  assert.equal(p.dns.isResponse, false);
  assert.equal(p.dns.opcode, 0);
  assert.equal(p.dns.qdCount, 1);
  assert.equal(p.dns.qname, 'www.Example.com');
  assert.equal(p.dns.qtype, 28);
});

test('DNS only on ports 53/5353/5355', () => {
  const q = dnsQuery({ id: 1, name: 'a.local', qtype: 1 });
  assert.equal(overUdp(q, 5353, 5353).dns?.valid, true);
  assert.equal(overUdp(q, 40000, 5355).dns?.valid, true);
  assert.equal(overUdp(q, 40000, 54).dns, null);
});

test('compression pointers: followed backwards, chained, and loop-safe', () => {
  // Response: question mail.example.org (offset 12), answer owner = pointer to it, a second
  // name 'www' + pointer into the question's 'example.org', a third = pointer to the second.
  const question = concat(dnsName('mail.example.org'), bytes(0, 1, 0, 1));
  const msg = concat(dnsHeader({ id: 9, flags: 0x8180, an: 1 }), question, dnsPointer(12), bytes(3, 0x77, 0x77, 0x77), dnsPointer(17), dnsPointer(12 + question.length + 2));
  const answerAt = 12 + question.length;
  assert.equal(dnsNameAt(msg, 0, answerAt, msg.length), 'mail.example.org');
  assert.equal(dnsNameAt(msg, 0, answerAt + 2, msg.length), 'www.example.org');
  assert.equal(dnsNameAt(msg, 0, answerAt + 8, msg.length), 'www.example.org', 'pointer to a pointer');
  // A loop: 'a' then a pointer back to that same 'a'.
  const loop = concat(dnsHeader({ id: 1 }), bytes(1, 0x61), dnsPointer(12), bytes(0, 1, 0, 1));
  assert.equal(dnsNameAt(loop, 0, 12, loop.length), null);
  assert.equal(overUdp(loop).dns?.valid, false);
  // The full response still parses as valid DNS with the question name.
  const p = overUdp(msg, 53, 40000);
  assert.equal(p.dns?.valid, true);
  assert.equal(p.dns?.isResponse, true);
  assert.equal(p.dns?.qname, 'mail.example.org');
});

test('mDNS response without questions: the first answer name stands in', () => {
  const msg = concat(dnsHeader({ id: 0, flags: 0x8400, qd: 0, an: 1 }), dnsName('printer.local'), bytes(0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 168, 1, 9));
  const p = overUdp(msg, 5353, 5353);
  assert.equal(p.dns?.valid, true);
  assert.equal(p.dns?.isResponse, true);
  assert.equal(p.dns?.qname, 'printer.local');
  assert.equal(p.dns?.qtype, 1);
});

test('compression loops and forward pointers are rejected without hanging', () => {
  const loopToSelf = concat(dnsHeader({ id: 1 }), dnsPointer(12), bytes(0, 1, 0, 1));
  assert.equal(overUdp(loopToSelf).dns?.valid, false);
  const forward = concat(dnsHeader({ id: 2 }), dnsPointer(14), dnsName('x.y'), bytes(0, 1, 0, 1));
  assert.equal(overUdp(forward).dns?.valid, false);
  const intoHeader = concat(dnsHeader({ id: 3 }), dnsPointer(2), bytes(0, 1, 0, 1));
  assert.equal(overUdp(intoHeader).dns?.valid, false);
});

test('names over 255 bytes, reserved label types and cut questions are invalid', () => {
  const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.');
  assert.equal(overUdp(dnsQuery({ id: 1, name: long, qtype: 1 })).dns?.valid, false);
  const reserved = concat(dnsHeader({ id: 1 }), bytes(0x41, 0), bytes(0, 1, 0, 1));
  assert.equal(overUdp(reserved).dns?.valid, false);
  const full = dnsQuery({ id: 1, name: 'example.com', qtype: 1 });
  assert.equal(overUdp(full.subarray(0, full.length - 2)).dns?.valid, false);
});

test('implausible headers: zero questions in a query, huge counts, unknown opcode, Z bit', () => {
  const body = concat(dnsName('a.b'), bytes(0, 1, 0, 1));
  assert.equal(overUdp(concat(dnsHeader({ id: 1, qd: 0 }), body)).dns?.valid, false);
  assert.equal(overUdp(concat(dnsHeader({ id: 1, qd: 1, an: 3000 }), body)).dns?.valid, false);
  assert.equal(overUdp(concat(dnsHeader({ id: 1, flags: 3 << 11 }), body)).dns?.valid, false);
  assert.equal(overUdp(concat(dnsHeader({ id: 1, flags: 0x0140 }), body)).dns?.valid, false);
  assert.equal(overUdp(bytes(1, 2, 3)).dns?.valid, false);
});

test('shell text on port 53 is not DNS (UDP and TCP)', () => {
  const shell = ascii('Microsoft Windows XP [Version 5.1.2600]\r\n(C) Copyright 1985-2001 Microsoft Corp.\r\n\r\nC:\\>');
  assert.equal(overUdp(shell).dns?.valid, false);
  const t = overTcp(shell);
  assert.ok(t.dns);
  assert.equal(t.dns.valid, false);
  assert.equal(overTcp(ascii('dir\n')).dns?.valid, false);
});

test('DNS over TCP: length prefix then message; bare ACK has no dns record', () => {
  const p = overTcp(tcpDnsFraming(dnsQuery({ id: 0x1234, name: 'zone.example', qtype: 252 })));
  assert.equal(p.dns?.valid, true);
  assert.equal(p.dns?.id, 0x1234);
  assert.equal(p.dns?.qname, 'zone.example');
  assert.equal(p.dns?.qtype, 252);
  assert.equal(overTcp(new Uint8Array(0)).dns, null);
  assert.equal(overTcp(bytes(0, 5, 1, 2, 3, 4, 5)).dns?.valid, false, 'prefix shorter than a header');
});
