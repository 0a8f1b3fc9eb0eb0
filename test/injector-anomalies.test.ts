import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { readAllPackets } from '../src/pipeline/read-packets';
import { INJECTION_KINDS, injectAnomalies } from '../src/train/anomaly-injector';
import { sample, SKIP_NO_SAMPLES } from './helpers/samples';

const real = SKIP_NO_SAMPLES ? Promise.resolve([] as DecodedPacket[]) : readAllPackets([sample('nb6-startup.pcap'), sample('http.cap'), sample('dns.cap')]).then((r) => r.packets);

function stripFrame(p: DecodedPacket): Omit<DecodedPacket, 'frame'> {
  const { frame: _f, ...rest } = p;
  return rest;
}

test('same seed → same output; different seed → different', { skip: SKIP_NO_SAMPLES }, async () => {
  const pk = await real;
  const a = injectAnomalies(pk, { seed: 11 });
  const b = injectAnomalies(pk, { seed: 11 });
  const c = injectAnomalies(pk, { seed: 12 });
  assert.deepEqual(a.packets, b.packets);
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(a.segments, b.segments);
  assert.notDeepEqual(a.labels, c.labels);
});

test('every kind: frames 1..n, time order, untouched packets labelled 0, injected/modified labelled 1', { skip: SKIP_NO_SAMPLES }, async () => {
  const pk = await real;
  const originals = new Map(pk.map((p) => [JSON.stringify(stripFrame(p)), 0]));
  for (const p of pk) originals.set(JSON.stringify(stripFrame(p)), (originals.get(JSON.stringify(stripFrame(p))) ?? 0) + 1);
  for (const kind of INJECTION_KINDS) {
    const r = injectAnomalies(pk, { seed: 5, rate: 0.3, kinds: [kind], decoyRate: 0 });
    assert.equal(r.labels.length, r.packets.length);
    assert.ok(r.segments.length > 0, `${kind}: no segment`);
    let ones = 0;
    r.packets.forEach((p, i) => {
      assert.equal(p.frame, i + 1);
      if (i > 0) assert.ok(p.ts >= r.packets[i - 1].ts, `${kind}: time goes back at ${i}`);
      assert.equal(p.ts, p.tsSec + p.tsNsec / 1e9);
      assert.deepEqual(Object.keys(p), Object.keys(pk[0]), `${kind}: packet shape differs from decoded packets`);
      const untouched = originals.has(JSON.stringify(stripFrame(p)));
      if (r.labels[i] === 0) assert.ok(untouched, `${kind}: packet ${i} labelled 0 but changed`);
      else {
        ones++;
        assert.ok(!untouched || kind === 'timing-burst', `${kind}: packet ${i} labelled 1 but identical to a real packet`);
      }
      // A later fragment carries no transport header (as the decoder leaves it).
      if (r.labels[i] === 1 && p.fragOffset > 0) assert.ok(p.srcPort === -1 && p.payloadLen === -1, `${kind}: a later fragment with a transport header`);
      else if (r.labels[i] === 1 && p.ipTotalLen >= 0) {
        assert.ok(p.origLen >= p.ipTotalLen + (p.linkType === 1 ? 14 : 0) && p.capLen <= p.origLen, `${kind}: frame shorter than its IP packet`);
        if (p.ipProto === 6) assert.equal(p.ipTotalLen, p.ipHeaderLen + p.tcpHeaderLen + p.payloadLen, `${kind}: TCP lengths`);
        if (p.ipProto === 17) assert.equal(p.ipTotalLen, p.ipHeaderLen + 8 + p.payloadLen, `${kind}: UDP lengths`);
      }
    });
    assert.ok(ones > 0, `${kind}: nothing labelled`);
    for (const s of r.segments) {
      assert.equal(s.kind, kind === 'size-shift' || kind === 'timing-burst' || kind === 'ttl-anomaly' || kind === 'arp-spoof' || kind === 'icmp-sweep' ? s.kind : kind);
      assert.equal(r.labels[s.startIndex], 1);
      assert.equal(r.labels[s.endIndex], 1);
    }
    const insertions = ['port-scan', 'flood', 'dns-mismatch', 'dns-tunnel', 'foreign-port', 'icmp-sweep', 'brute-force', 'amplification', 'fragment-attack', 'worm-probe'];
    if (insertions.includes(kind)) assert.ok(r.packets.length > pk.length, `${kind}: nothing inserted`);
    else assert.equal(r.labels.reduce((s, x) => s + x, 0) > 0, true);
  }
});

test('attacks use the stream\'s own hosts and look like the attack', { skip: SKIP_NO_SAMPLES }, async () => {
  const pk = await real;
  const hosts = new Set(pk.flatMap((p) => [p.srcIp, p.dstIp, p.arpSenderIp]).filter((x) => x !== null));
  const scan = injectAnomalies(pk, { seed: 1, kinds: ['port-scan'] });
  const injected = scan.packets.filter((_, i) => scan.labels[i] === 1);
  // A horizontal scan also probes addresses of the scanner's /24 that the stream never saw.
  const sameNet = (a: string, b: string) => a.slice(0, a.lastIndexOf('.')) === b.slice(0, b.lastIndexOf('.'));
  assert.ok(injected.every((p) => p.ipProto === 6 && (hosts.has(p.srcIp!) || hosts.has(p.dstIp!))));
  assert.ok(injected.every((p) => (hosts.has(p.srcIp!) && hosts.has(p.dstIp!)) || sameNet(p.srcIp!, p.dstIp!)));
  const syns = injected.filter((p) => p.tcpFlags === 2);
  assert.ok(new Set(syns.map((p) => p.dstPort)).size >= 30, 'a scan touches many ports');
  const tun = injectAnomalies(pk, { seed: 1, kinds: ['dns-tunnel'] });
  const q = tun.packets.filter((p, i) => tun.labels[i] === 1 && p.dns?.valid && !p.dns.isResponse);
  assert.ok(q.length >= 20 && q.every((p) => p.dns!.qname.length > 60 && p.dstPort === 53));
  const mis = injectAnomalies(pk, { seed: 2, kinds: ['dns-mismatch'] });
  assert.ok(mis.packets.some((p, i) => mis.labels[i] === 1 && p.dns !== null && p.dns.valid === false));
  const brute = injectAnomalies(pk, { seed: 4, kinds: ['brute-force'] });
  const logins = brute.packets.filter((p, i) => brute.labels[i] === 1 && p.tcpFlags === 2);
  const perService = new Map<string, number>();
  for (const p of logins) perService.set(`${p.dstIp}:${p.dstPort}`, (perService.get(`${p.dstIp}:${p.dstPort}`) ?? 0) + 1);
  assert.ok(Math.max(...perService.values()) >= 8, 'a brute force opens many sessions to one service');
  const amp = injectAnomalies(pk, { seed: 5, kinds: ['amplification'] });
  const answers = amp.packets.filter((_, i) => amp.labels[i] === 1);
  assert.ok(answers.length >= 60 && answers.every((p) => p.ipProto === 17 && p.srcPort < 12000 && p.payloadLen >= 280));
  const arp = injectAnomalies(pk, { seed: 3, kinds: ['arp-spoof'] });
  const spoofed = arp.packets.filter((_, i) => arp.labels[i] === 1);
  assert.ok(spoofed.some((p) => p.arpOp === 2 && p.l3 === 'arp'));
  // Every ARP packet is a reply; the rest is traffic relayed through the attacker's MAC.
  const attackerMacs = new Set(spoofed.filter((p) => p.l3 === 'arp').map((p) => p.arpSenderMac));
  assert.ok(spoofed.every((p) => (p.l3 === 'arp' ? p.arpOp === 2 : attackerMacs.has(p.srcMac) || attackerMacs.has(p.dstMac))));
});

test('fragment attacks are IPv4 fragments to one victim; worm probes one size to one port at many addresses', { skip: SKIP_NO_SAMPLES }, async () => {
  const pk = await real;
  let overlapping = 0, oversized = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const r = injectAnomalies(pk, { seed, rate: 0.05, kinds: ['fragment-attack'] });
    const frags = r.packets.filter((_, i) => r.labels[i] === 1);
    assert.ok(frags.length > 0 && frags.every((p) => p.l3 === 'ipv4' && (p.ipMf || p.fragOffset > 0) && !p.ipDf), `seed ${seed}: not all fragments`);
    for (const g of r.segments) {
      const seg = r.packets.slice(g.startIndex, g.endIndex + 1).filter((_, k) => r.labels[g.startIndex + k] === 1);
      assert.equal(new Set(seg.map((p) => p.dstIp)).size, 1, 'one victim per attack');
      // Teardrop: a first fragment followed by one that starts inside it.
      for (let k = 1; k < seg.length; k++) {
        if (seg[k - 1].fragOffset === 0 && seg[k - 1].ipMf && seg[k].fragOffset > 0 && seg[k].fragOffset < seg[k - 1].ipTotalLen - seg[k - 1].ipHeaderLen) overlapping++;
      }
      if (seg.some((p) => p.fragOffset + p.ipTotalLen - p.ipHeaderLen > 65535)) oversized++;
    }
  }
  assert.ok(overlapping > 0, 'some fragment pairs overlap (teardrop)');
  assert.ok(oversized > 0, 'some datagrams reassemble past 65,535 bytes (ping of death)');

  const w = injectAnomalies(pk, { seed: 9, rate: 0.05, kinds: ['worm-probe'] });
  for (const g of w.segments) {
    const probes = w.packets.slice(g.startIndex, g.endIndex + 1).filter((_, k) => w.labels[g.startIndex + k] === 1);
    assert.ok(probes.every((p) => p.ipProto === 17), 'UDP');
    assert.equal(new Set(probes.map((p) => p.srcIp)).size, 1, 'one infected source');
    assert.equal(new Set(probes.map((p) => p.dstPort)).size, 1, 'one port');
    assert.equal(new Set(probes.map((p) => p.payloadLen)).size, 1, 'one datagram size');
  }
  const spread = Math.max(...w.segments.map((g) => new Set(w.packets.slice(g.startIndex, g.endIndex + 1).filter((_, k) => w.labels[g.startIndex + k] === 1).map((p) => p.dstIp)).size));
  assert.ok(spread >= 5, `a worm sprays many addresses (most: ${spread})`);
});

test('rejects a bad rate or unknown kind', () => {
  assert.throws(() => injectAnomalies([], { seed: 1, rate: 0 }), /rate/);
  assert.throws(() => injectAnomalies([], { seed: 1, kinds: ['nope' as never] }), /kinds/);
  assert.deepEqual(injectAnomalies([], { seed: 1 }).packets, []);
});

test('decoys: ordinary sessions with new peers, inserted and labelled 0', { skip: SKIP_NO_SAMPLES }, async () => {
  const pk = await real;
  const originals = new Set(pk.map((p) => JSON.stringify(stripFrame(p))));
  const r = injectAnomalies(pk, { seed: 6, rate: 0.1, kinds: ['ttl-anomaly'], decoyRate: 0.5 });
  const added = r.packets.filter((p, i) => r.labels[i] === 0 && !originals.has(JSON.stringify(stripFrame(p))));
  assert.ok(added.length > 0, 'no decoy inserted');
  // Whole TCP sessions to a web port or a port the stream already uses, opened by a SYN and closed by a FIN.
  const ports = new Set(pk.flatMap((p) => [p.srcPort, p.dstPort]));
  assert.ok(added.every((p) => p.ipProto === 6 && (ports.has(p.srcPort) || ports.has(p.dstPort) || [80, 443].includes(p.dstPort) || [80, 443].includes(p.srcPort))));
  assert.equal(added.filter((p) => p.tcpFlags === 2).length, added.filter((p) => (p.tcpFlags & 1) !== 0).length / 2);
  const none = injectAnomalies(pk, { seed: 6, rate: 0.1, kinds: ['ttl-anomaly'], decoyRate: 0 });
  assert.equal(none.packets.length, pk.length);
});

test('concurrent decoys: an ordinary session labelled 0 opens inside each attack\'s time', { skip: SKIP_NO_SAMPLES }, async () => {
  const pk = await real;
  const originals = new Set(pk.map((p) => JSON.stringify(stripFrame(p))));
  const r = injectAnomalies(pk, { seed: 9, rate: 0.3, kinds: ['flood'], concurrentDecoyRate: 1 });
  const decoySyns = r.packets.filter((p, i) => r.labels[i] === 0 && !originals.has(JSON.stringify(stripFrame(p))) && p.tcpFlags === 2);
  assert.ok(r.segments.length > 1);
  assert.equal(decoySyns.length, r.segments.length, 'one decoy per attack');
  for (const g of r.segments) {
    const [from, to] = [r.packets[g.startIndex].ts, r.packets[g.endIndex].ts];
    assert.equal(decoySyns.filter((p) => p.ts >= from && p.ts <= to).length, 1, `no decoy opens in the attack at ${from}–${to}`);
  }
  const none = injectAnomalies(pk, { seed: 9, rate: 0.3, kinds: ['flood'], concurrentDecoyRate: 0 });
  assert.equal(none.labels.filter((l) => l === 0).length, pk.length);
});
