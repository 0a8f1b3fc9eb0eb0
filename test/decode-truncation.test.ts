/**
 * Robustness: a frame cut at every byte offset decodes without throwing and names a
 * problem; random bytes under every link type never throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '../src/capture/decode';
import {
  dnsQuery, ethernet, ipv4, ipv6, rawPacket, tcp, tcpDnsFraming, udp,
} from './helpers/frame-builder';

function assertEveryCutFlagged(name: string, frame: Uint8Array, linkType = 1): void {
  const whole = decode(rawPacket(frame, linkType));
  assert.equal(whole.error, null, `${name}: the whole frame decodes cleanly`);
  for (let len = 0; len < frame.length; len++) {
    // origLen = capLen: the frame really is this short (not a snaplen cut).
    const p = decode(rawPacket(frame.slice(0, len), linkType));
    assert.notEqual(p.error, null, `${name} cut to ${len} bytes must record a problem`);
  }
}

test('TCP frame (VLAN, IPv4 options, TCP options, payload) cut at every offset', () => {
  const frame = ethernet({
    type: 0x0800, vlans: [{ id: 10 }],
    payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, options: Uint8Array.from([1, 1, 1, 1]), payload: tcp({ sport: 1234, dport: 80, options: Uint8Array.from([2, 4, 5, 0xb4]), payload: new Uint8Array(20) }) }),
  });
  assertEveryCutFlagged('tcp', frame);
});

test('UDP DNS frame cut at every offset', () => {
  const frame = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.53', proto: 17, payload: udp({ sport: 5000, dport: 53, payload: dnsQuery({ id: 1, name: 'example.com', qtype: 1 }) }) }) });
  assertEveryCutFlagged('udp-dns', frame);
});

test('TCP DNS frame over IPv6 with extension headers cut at every offset', () => {
  const frame = ethernet({
    type: 0x86dd,
    payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::53', nextHeader: 6, ext: [{ type: 0 }, { type: 44, fragOffset: 0, mf: false }], payload: tcp({ sport: 5000, dport: 53, payload: tcpDnsFraming(dnsQuery({ id: 2, name: 'a.example', qtype: 28 })) }) }),
  });
  assert.equal(decode(rawPacket(frame)).dns?.valid, true);
  assertEveryCutFlagged('tcp-dns-v6', frame);
});

test('snaplen cuts of a DNS message never throw and never claim a valid message', () => {
  const frame = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.53', proto: 17, payload: udp({ sport: 5000, dport: 53, payload: dnsQuery({ id: 1, name: 'example.com', qtype: 1 }) }) }) });
  for (let len = 42; len < frame.length; len++) {
    const p = decode(rawPacket(frame.slice(0, len), 1, { origLen: frame.length }));
    assert.equal(p.dns?.valid, false, `cut to ${len}`);
  }
});

test('random bytes under every link type never throw', () => {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff; // LCG: reproducible without a dependency
    return seed;
  };
  const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999];
  let errors = 0;
  for (let i = 0; i < 20000; i++) {
    const data = new Uint8Array(rand() % 120);
    for (let j = 0; j < data.length; j++) data[j] = rand() & 0xff;
    // Bias toward plausible headers so deeper analyzers are reached.
    if (data.length > 14 && i % 2 === 0) { data[12] = 0x08; data[13] = 0x00; data[14] = 0x45; }
    const p = decode(rawPacket(data, linkTypes[i % linkTypes.length], { origLen: data.length + (i % 3) * 50 }));
    if (p.error !== null) errors++;
  }
  assert.ok(errors > 1000, 'random input produces recorded problems');
});
