import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../src/capture/decode';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { openCaptureFiles } from '../src/capture/file-source';
import { FeatureExtractor } from '../src/features/feature-extractor';
import { ScalerFitter } from '../src/features/scaler';
import { FEATURE_COUNT, FEATURE_INDEX as I, featureNames } from '../src/features/schema';
import { WindowBuilder } from '../src/features/window-builder';
import { ALL_SAMPLES, SKIP_NO_SAMPLES, sample } from './helpers/samples';
import { assertLog1p } from './helpers/log1p-close';

const F = FEATURE_COUNT;

async function decodeFile(name: string): Promise<DecodedPacket[]> {
  const out: DecodedPacket[] = [];
  const src = openCaptureFiles([sample(name)]);
  for await (const batch of src) for (const raw of batch) out.push(decode(raw));
  return out;
}

function extractAll(ps: DecodedPacket[]): Float32Array {
  const fx = new FeatureExtractor();
  const m = new Float32Array(ps.length * F);
  ps.forEach((p, i) => fx.extract(p, m, i * F));
  assert.equal(fx.stats().nonFinite, 0);
  return m;
}

const row = (m: Float32Array, frame: number) => m.subarray((frame - 1) * F, frame * F);

test('real capture dns-remoteshell.pcap: conformance and hand-checked columns (tshark view)', { skip: SKIP_NO_SAMPLES }, async () => {
  const ps = await decodeFile('dns-remoteshell.pcap');
  assert.equal(ps.length, 131);
  const m = extractAll(ps);
  // Frame 2: "Standard query 0x0001 PTR 1.1.168.192.in-addr.arpa", UDP 1393 → 53, 84 bytes, TTL 128.
  const f2 = row(m, 2);
  assert.equal(f2[I.dns_not_dns], 0);
  assertLog1p(f2[I.frame_len], 84);
  assertLog1p(f2[I.ip_len], 70);
  assertLog1p(f2[I.payload_len], 42);
  assert.equal(f2[I.ttl], 128);
  assert.equal(f2[I.proto_udp], 1);
  assert.equal(f2[I.svc_dns], 1);
  assert.equal(f2[I.dns_qname_labels], 6);
  // Frame 21: TCP 53 → 1396 [PSH, ACK] Win=65535 Len=88, 182 bytes, TTL 64: a shell, not DNS.
  const f21 = row(m, 21);
  assert.equal(f21[I.dns_not_dns], 1);
  assertLog1p(f21[I.frame_len], 182);
  assert.equal(f21[I.ttl], 64);
  assert.equal(f21[I.tcp_psh] + f21[I.tcp_ack], 2);
  assert.equal(f21[I.tcp_syn] + f21[I.tcp_fin] + f21[I.tcp_rst], 0);
  assertLog1p(f21[I.tcp_window], 65535);
  assert.equal(f21[I.src_port_wellknown], 1);
  assert.equal(f21[I.flow_first], 0);
  // Frame 14: 1396 → 53 [SYN] Win=16384 MSS SACK_PERM (8 option bytes), first packet of its flow.
  const f14 = row(m, 14);
  assert.equal(f14[I.tcp_syn], 1);
  assert.equal(f14[I.tcp_ack], 0);
  assert.equal(f14[I.tcp_options_len], 8);
  assertLog1p(f14[I.tcp_window], 16384);
  assert.equal(f14[I.flow_first], 1);
  assert.equal(f14[I.dns_not_dns], 0, 'no payload');
  // Frames 1/3: ARP who-has 192.168.1.1 and its reply.
  assert.equal(row(m, 1)[I.proto_arp], 1);
  assert.equal(row(m, 3)[I.arp_unsolicited_reply], 0);
  const notDns = ps.filter((_, i) => m[i * F + I.dns_not_dns] === 1).map((p) => p.frame);
  assert.ok(notDns.length >= 4 && notDns.every((fr) => ps[fr - 1].ipProto === 6), `not-DNS frames ${notDns}`);
});

test('real captures: every sample gives finite, deterministic vectors and windows', { skip: SKIP_NO_SAMPLES }, async () => {
  const fit = new ScalerFitter();
  const all: Float32Array[] = [];
  for (const name of ALL_SAMPLES) {
    const ps = await decodeFile(name);
    const a = extractAll(ps);
    const b = extractAll(ps);
    assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer), name);
    for (let i = 0; i < a.length; i++) assert.ok(Number.isFinite(a[i]), `${name} frame ${Math.floor(i / F) + 1} ${featureNames()[i % F]}`);
    for (let i = 0; i < ps.length; i++) fit.add(a, i * F);
    all.push(a);
  }
  const scaler = fit.finish();
  for (const a of all) {
    const wb = new WindowBuilder(32, 8, F);
    const n = a.length / F;
    let covered = 0;
    const win = new Float32Array(32 * F);
    for (let i = 0; i < n; i++) {
      scaler.transformInto(a, i * F, wb.ring, wb.nextRow());
      scaler.transform(a, i * F);
      if (wb.commit(i + 1)) {
        wb.writeWindow(win, 0);
        covered = wb.endId;
      }
    }
    if (wb.tailDue()) {
      wb.writeWindow(win, 0);
      covered = wb.endId;
    }
    assert.equal(covered, n);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]) <= 8);
  }
  assert.equal(scaler.nonFinite, 0);
});

test('real capture arp-storm.pcap: ARP storm shows a high host rate', { skip: SKIP_NO_SAMPLES }, async () => {
  const ps = await decodeFile('arp-storm.pcap');
  const m = extractAll(ps);
  const arpRows = ps.map((p, i) => (p.l3 === 'arp' ? m[i * F + I.host_rate_slow] : -1)).filter((x) => x >= 0);
  assert.ok(arpRows.length > 500);
  assert.ok(Math.max(...arpRows) > Math.log1p(100), `max host_rate_slow ${Math.max(...arpRows)}`);
});
