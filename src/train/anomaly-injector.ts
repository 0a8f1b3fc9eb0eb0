import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { LlnError } from '../errors';
import { SeededRandom } from '../seeded-random';
import {
  PacketBase, arpPacket, asFirstFragment, dnsInfo, ipv4Fragment, dnsMessageLen, icmpPacket, notDns, resizePayload, retime, tcpPacket, udpPacket,
} from '../generator/decoded-packet-factory';
import { StreamProfile, isPrivateIp, profileStream } from '../generator/stream-profile';

/** Documented in docs/training.md (one line each); keep the two lists in step. */
export const INJECTION_KINDS = [
  'port-scan', 'flood', 'dns-mismatch', 'dns-tunnel', 'arp-spoof', 'foreign-port', 'size-shift', 'timing-burst', 'ttl-anomaly', 'icmp-sweep',
  'brute-force', 'amplification', 'fragment-attack', 'worm-probe',
] as const;
export type InjectionKind = (typeof INJECTION_KINDS)[number];
/**
 * Kinds a training uses only when named (`--synthetic-kinds`): not yet measured on real
 * traffic, so the default recipe leaves them out (docs/training.md).
 */
export const OPT_IN_KINDS: readonly InjectionKind[] = ['fragment-attack', 'worm-probe'];
export const DEFAULT_INJECTION_KINDS: InjectionKind[] = INJECTION_KINDS.filter((k) => !OPT_IN_KINDS.includes(k));

export interface InjectionOptions {
  seed: number;
  /** Fraction of segments (runs of SEGMENT_PACKETS real packets) that get an anomaly. Default 0.15. */
  rate?: number;
  kinds?: InjectionKind[];
  /**
   * Fraction of the other segments that get one ordinary session with a new peer, labelled 0:
   * the counter-examples that keep "a TCP session nobody saw before" from becoming an attack
   * sign by itself, since most attack kinds are made of such sessions.
   * Default 0; training passes the recipe's `decoyRate`.
   */
  decoyRate?: number;
  /**
   * Fraction of the segments with an anomaly that also get one ordinary session labelled 0,
   * opening while the attack runs: without it every new session in the attack's time is part
   * of the attack, and the model learns "something else is going on" as an attack sign, which a
   * busy real network's bursts then set off. Default 0; training passes the recipe's.
   */
  concurrentDecoyRate?: number;
}

export interface InjectedSegment {
  kind: InjectionKind;
  /** 0-based indices into the output packets of the first and last packet labelled 1. */
  startIndex: number;
  endIndex: number;
}

export interface InjectionResult {
  packets: DecodedPacket[];
  /** 1 = injected or modified packet. */
  labels: Uint8Array;
  segments: InjectedSegment[];
}

export const SEGMENT_PACKETS = 64;
const SYN = 2, RST = 4, ACK = 16, PSH = 8, FIN = 1;
/** SSH, Telnet, FTP, RDP, SMB, POP3, IMAP, VNC: the services password guessers go for. */
const LOGIN_PORTS = [22, 23, 21, 3389, 445, 110, 143, 5900];
/** [source port, smallest, largest payload] of the usual UDP reflectors: DNS, NTP, SSDP, memcached, CLDAP, chargen, SNMP. */
const REFLECTED_SERVICES: ReadonlyArray<readonly [number, number, number]> = [
  [53, 1200, 1472], [123, 440, 468], [1900, 280, 380], [11211, 1400, 1472], [389, 1200, 1472], [19, 700, 1472], [161, 900, 1472],
];

/** UDP ports worms spread on (SQL Server resolution, NetBIOS, TFTP, SNMP, SIP, UPnP-less IoT services). */
const WORM_UDP_PORTS = [1434, 137, 69, 161, 5060, 1900, 17185, 3702, 27015, 9999];

interface Item { p: DecodedPacket; label: number; seg: number; order: number }

/**
 * Makes a labelled anomalous variant of a real, benign packet stream: the stream is cut into
 * segments of SEGMENT_PACKETS packets, `rate` of them are picked, and each gets one seeded
 * transformation (inserted attack packets, or modified real ones). Addresses, MACs, TTLs and
 * ports come from the stream itself so the attack happens "inside" the user's network.
 */
export function injectAnomalies(packets: DecodedPacket[], opts: InjectionOptions): InjectionResult {
  const rate = opts.rate ?? 0.15;
  const decoyRate = opts.decoyRate ?? 0;
  const concurrentDecoyRate = opts.concurrentDecoyRate ?? 0;
  const kinds = opts.kinds ?? DEFAULT_INJECTION_KINDS;
  if (!(rate > 0 && rate <= 1)) throw new LlnError('LLN_E_USAGE', `injection rate must be in (0, 1], got ${rate}`);
  if (kinds.length === 0 || kinds.some((k) => !INJECTION_KINDS.includes(k))) {
    throw new LlnError('LLN_E_USAGE', `injection kinds must be some of ${INJECTION_KINDS.join(', ')}`);
  }
  const rng = new SeededRandom(opts.seed);
  const prof = profileStream(packets, rng);
  const items: Item[] = [];
  let order = 0;
  const segCount = Math.ceil(packets.length / SEGMENT_PACKETS);
  const chosen = new Set(rng.shuffle([...Array(segCount).keys()]).slice(0, Math.max(segCount > 0 ? 1 : 0, Math.round(rate * segCount))));
  const segKinds: InjectionKind[] = [];
  for (let s = 0; s < segCount; s++) {
    const seg = packets.slice(s * SEGMENT_PACKETS, (s + 1) * SEGMENT_PACKETS).map((p) => ({ ...p, dns: p.dns ? { ...p.dns } : null }));
    const labels = new Uint8Array(seg.length);
    let injected: DecodedPacket[] = [];
    let segIndex = -1;
    if (chosen.has(s)) {
      segIndex = segKinds.length;
      const t0 = seg[0].ts;
      const start = t0 + rng.next() * Math.max(0, seg[seg.length - 1].ts - t0);
      const kind = rng.pick(kinds);
      const applied = applyKind(kind, rng, prof, seg, labels, start) ?? applyKind('port-scan', rng, prof, seg, labels, start)!;
      segKinds.push(applied.kind as InjectionKind);
      injected = applied.injected;
      if (rng.chance(concurrentDecoyRate)) {
        const end = injected.length > 0 ? injected[injected.length - 1].ts : seg[seg.length - 1].ts;
        const decoy = applyKind('ordinary-session', rng, prof, seg, new Uint8Array(seg.length), start + rng.next() * Math.max(0, end - start))!;
        for (const p of decoy.injected) items.push({ p, label: 0, seg: -1, order: order++ });
      }
    } else if (rng.chance(decoyRate)) {
      const t0 = seg[0].ts;
      const decoy = applyKind('ordinary-session', rng, prof, seg, labels, t0 + rng.next() * Math.max(0, seg[seg.length - 1].ts - t0))!;
      for (const p of decoy.injected) items.push({ p, label: 0, seg: -1, order: order++ });
    }
    for (let i = 0; i < seg.length; i++) items.push({ p: seg[i], label: labels[i], seg: labels[i] ? segIndex : -1, order: order++ });
    for (const p of injected) items.push({ p, label: 1, seg: segIndex, order: order++ });
  }
  items.sort((a, b) => a.p.ts - b.p.ts || a.order - b.order);
  const out: DecodedPacket[] = new Array(items.length);
  const labels = new Uint8Array(items.length);
  const segments: InjectedSegment[] = segKinds.map((kind) => ({ kind, startIndex: -1, endIndex: -1 }));
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    it.p.frame = i + 1;
    out[i] = it.p;
    labels[i] = it.label;
    if (it.seg >= 0) {
      const g = segments[it.seg];
      if (g.startIndex < 0) g.startIndex = i;
      g.endIndex = i;
    }
  }
  return { packets: out, labels, segments: segments.filter((g) => g.startIndex >= 0) };
}

type Applied = { kind: InjectionKind | 'ordinary-session'; injected: DecodedPacket[] } | null;

function applyKind(kind: InjectionKind | 'ordinary-session', rng: SeededRandom, prof: StreamProfile, seg: DecodedPacket[], labels: Uint8Array, start: number): Applied {
  const out: DecodedPacket[] = [];
  let t = start;
  const base = (srcIp: string | null, dstIp: string | null): PacketBase =>
    ({ ts: t, tsDigits: prof.tsDigits, source: prof.source, srcMac: prof.macFor(srcIp), dstMac: prof.macFor(dstIp) });
  const tcpSession = (client: string, server: string, cport: number, sport: number, exchanges: Array<[boolean, number]>): void => {
    const cTtl = prof.ttlOf(client), sTtl = prof.ttlOf(server);
    let cs = rng.u32(), ss = rng.u32();
    const rtt = 0.001 + rng.exp(1 / 0.02);
    out.push(tcpPacket(base(client, server), client, server, cTtl, cport, sport, SYN, cs, 0, 64240, 0, 12));
    t += rtt; out.push(tcpPacket(base(server, client), server, client, sTtl, sport, cport, SYN | ACK, ss, cs + 1, 65160, 0, 12));
    cs++; ss++;
    t += 0.0001; out.push(tcpPacket(base(client, server), client, server, cTtl, cport, sport, ACK, cs, ss, 502, 0));
    for (const [fromClient, len] of exchanges) {
      t += 0.001 + rng.exp(1 / 0.2);
      if (fromClient) { out.push(tcpPacket(base(client, server), client, server, cTtl, cport, sport, PSH | ACK, cs, ss, 502, len)); cs += len; }
      else { out.push(tcpPacket(base(server, client), server, client, sTtl, sport, cport, PSH | ACK, ss, cs, 509, len)); ss += len; }
      t += 0.0002;
      out.push(fromClient ? tcpPacket(base(server, client), server, client, sTtl, sport, cport, ACK, ss, cs, 509, 0)
        : tcpPacket(base(client, server), client, server, cTtl, cport, sport, ACK, cs, ss, 502, 0));
    }
    t += 0.01; out.push(tcpPacket(base(client, server), client, server, cTtl, cport, sport, FIN | ACK, cs, ss, 502, 0));
    t += rtt; out.push(tcpPacket(base(server, client), server, client, sTtl, sport, cport, FIN | ACK, ss, cs + 1, 509, 0));
    t += 0.0001; out.push(tcpPacket(base(client, server), client, server, cTtl, cport, sport, ACK, cs + 1, ss + 1, 502, 0));
  };
  switch (kind) {
    case 'port-scan': {
      // Vertical (30-120 ports of one host) or horizontal (one port across the scanner's /24),
      // mostly fast, sometimes paced so that it is no burst at all.
      const attacker = rng.pick(prof.internal);
      const sport = rng.range(40000, 60000);
      const probes: Array<[string, number]> = [];
      if (rng.chance(0.3) && !attacker.includes(':')) {
        const prefix = attacker.slice(0, attacker.lastIndexOf('.') + 1);
        const port = rng.chance(0.5) ? rng.pick([...prof.ports].filter((x) => x < 10000).concat(LOGIN_PORTS)) : rng.pick(LOGIN_PORTS);
        const first = rng.range(1, 100);
        for (let k = first; k < Math.min(255, first + rng.range(20, 150)); k++) if (prefix + k !== attacker) probes.push([prefix + k, port]);
      } else {
        const target = prof.otherHost(attacker);
        for (const port of rng.shuffle(Array.from({ length: 1024 }, (_, i) => i + 1)).slice(0, rng.range(30, 120))) probes.push([target, port]);
      }
      const gap = rng.chance(0.7) ? 0.001 : rng.pick([0.05, 0.5]);
      for (const [target, port] of probes) {
        const seq = rng.u32();
        out.push(tcpPacket(base(attacker, target), attacker, target, prof.ttlOf(attacker), sport, port, SYN, seq, 0, 1024, 0, 4));
        t += 0.0001 + rng.next() * 0.0004;
        if (!prof.knownHosts.has(target)) {
          // Nobody there: no answer.
        } else if (prof.ports.has(port) && rng.chance(0.5)) {
          out.push(tcpPacket(base(target, attacker), target, attacker, prof.ttlOf(target), port, sport, SYN | ACK, rng.u32(), seq + 1, 64240, 0, 4));
          out.push(tcpPacket(base(attacker, target), attacker, target, prof.ttlOf(attacker), sport, port, RST, seq + 1, 0, 0, 0));
        } else {
          out.push(tcpPacket(base(target, attacker), target, attacker, prof.ttlOf(target), port, sport, RST | ACK, 0, seq + 1, 0, 0));
        }
        t += 0.0002 + rng.exp(1 / gap);
      }
      break;
    }
    case 'flood': {
      const target = rng.pick(prof.internal);
      const udp = rng.chance(0.4);
      const port = udp ? rng.range(1024, 65535) : rng.pick(prof.serverPortsOf(target));
      const n = rng.range(100, 400);
      for (let i = 0; i < n; i++) {
        const src = prof.newExternalIp();
        const b = { ...base(null, target), srcMac: prof.gatewayMac };
        out.push(udp ? udpPacket(b, src, target, rng.range(40, 250), rng.range(1024, 65535), port, rng.range(0, 1400))
          : tcpPacket(b, src, target, rng.range(40, 250), rng.range(1024, 65535), port, SYN, rng.u32(), 0, 512 * rng.range(1, 64), 0));
        t += rng.exp(1 / 0.0003);
      }
      break;
    }
    case 'dns-mismatch': {
      const host = rng.pick(prof.internal);
      const peer = rng.chance(0.5) ? prof.dnsServer : prof.newExternalIp();
      if (rng.chance(0.5)) {
        const ex: Array<[boolean, number]> = [];
        for (let i = rng.range(5, 20); i > 0; i--) ex.push([false, rng.range(5, 40)], [true, rng.range(40, 1400)]);
        tcpSession(host, peer, prof.ephemeralPort(), 53, ex);
      } else {
        const cport = prof.ephemeralPort();
        for (let i = rng.range(10, 40); i > 0; i--) {
          const fromHost = i % 2 === 0;
          out.push(fromHost ? udpPacket(base(host, peer), host, peer, prof.ttlOf(host), cport, 53, rng.range(40, 400), notDns())
            : udpPacket(base(peer, host), peer, host, prof.ttlOf(peer), 53, cport, rng.range(5, 60), notDns()));
          t += 0.01 + rng.exp(1 / 0.3);
        }
      }
      break;
    }
    case 'dns-tunnel': {
      const host = rng.pick(prof.internal);
      const domain = `${randomLabel(rng, 3, 8)}.${rng.pick(['net', 'com', 'info', 'xyz'])}`;
      for (let i = rng.range(20, 60); i > 0; i--) {
        const labels: string[] = [];
        for (let k = rng.range(2, 3); k > 0; k--) labels.push(randomLabel(rng, 30, 63));
        const qname = `${labels.join('.')}.${domain}`;
        const id = rng.int(65536), cport = prof.ephemeralPort(), qtype = rng.pick([16, 16, 16, 10, 5]);
        const s = prof.dnsServer;
        out.push(udpPacket(base(host, s), host, s, prof.ttlOf(host), cport, 53, dnsMessageLen(qname, 11), dnsInfo(id, false, qname, qtype, 0)));
        t += 0.005 + rng.exp(1 / 0.03);
        out.push(udpPacket(base(s, host), s, host, prof.ttlOf(s), 53, cport, dnsMessageLen(qname, 12 + rng.range(100, 250)), dnsInfo(id, true, qname, qtype, 1)));
        t += rng.exp(1 / 0.05);
      }
      break;
    }
    case 'arp-spoof': {
      if (prof.gatewayMac === null) return null;
      const hostMac = rng.chance(0.7) ? prof.macFor(rng.pick(prof.internal)) : null;
      const attackerMac = hostMac !== null && hostMac !== prof.gatewayMac ? hostMac : prof.newMac();
      const claimed = prof.gatewayIp;
      for (let i = rng.range(10, 40); i > 0; i--) {
        const gratuitous = rng.chance(0.2);
        const victim = rng.pick(prof.internal);
        const b = { ts: t, tsDigits: prof.tsDigits, source: prof.source, srcMac: attackerMac, dstMac: gratuitous ? 'ff:ff:ff:ff:ff:ff' : prof.macFor(victim) };
        out.push(arpPacket(b, 2, attackerMac, claimed, gratuitous ? claimed : victim));
        t += rng.exp(1 / 0.05);
      }
      // Half the time the attacker also relays (a man in the middle): the busiest LAN host's
      // off-LAN packets in the segment go to the attacker's MAC, and the attacker forwards each
      // from its own MAC, both directions, a fraction of a millisecond later.
      if (rng.chance(0.5)) {
        const offLan = new Map<string, number>();
        for (const p of seg) if (p.srcIp !== null && p.dstIp !== null && isPrivateIp(p.srcIp) && !isPrivateIp(p.dstIp)) offLan.set(p.srcIp, (offLan.get(p.srcIp) ?? 0) + 1);
        const relayed = [...offLan].sort((a, b) => b[1] - a[1])[0]?.[0];
        const relayedMac = prof.macFor(relayed ?? null);
        if (relayed === undefined || relayedMac === attackerMac) break;
        seg.forEach((p, i) => {
          const out1 = p.srcIp === relayed && p.dstIp !== null && !isPrivateIp(p.dstIp);
          const in1 = p.dstIp === relayed && p.srcIp !== null && !isPrivateIp(p.srcIp);
          if (!out1 && !in1) return;
          p.dstMac = attackerMac;
          labels[i] = 1;
          const q: DecodedPacket = { ...p, dns: p.dns ? { ...p.dns } : null, srcMac: attackerMac, dstMac: out1 ? prof.gatewayMac : relayedMac };
          retime(q, p.ts + 0.0001 + rng.next() * 0.0005);
          out.push(q);
        });
      }
      break;
    }
    case 'foreign-port': {
      const host = rng.pick(prof.internal);
      const peer = prof.newExternalIp();
      const port = rng.chance(0.5) ? rng.pick([4444, 6667, 31337, 1337, 5555, 12345, 2323, 9001]) : prof.unseenPort();
      for (let s = rng.range(1, 4); s > 0; s--) {
        const ex: Array<[boolean, number]> = [];
        for (let i = rng.range(2, 6); i > 0; i--) ex.push([rng.chance(0.5), rng.range(20, 1400)]);
        tcpSession(host, peer, prof.ephemeralPort(), port, ex);
        t += rng.exp(1 / 0.5);
      }
      break;
    }
    case 'size-shift': {
      const key = (p: DecodedPacket) => `${p.srcIp}|${p.dstIp}|${p.srcPort}|${p.dstPort}|${p.ipProto}`;
      const counts = new Map<string, number>();
      for (const p of seg) if (p.payloadLen > 0 && p.srcPort >= 0) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
      if (counts.size === 0) return null;
      const flow = [...counts].sort((a, b) => b[1] - a[1])[0][0];
      const factor = rng.chance(0.5) ? 3 + rng.next() * 5 : 0.05 + rng.next() * 0.15;
      seg.forEach((p, i) => {
        if (p.payloadLen <= 0 || key(p) !== flow) return;
        const max = p.ipProto === 6 ? 1460 : 1472;
        let n = Math.max(1, Math.min(max, Math.round(p.payloadLen * factor)));
        if (n === p.payloadLen) n = n === max ? n - 1 : n + 1;
        resizePayload(p, n);
        labels[i] = 1;
      });
      break;
    }
    case 'timing-burst': {
      const t0 = seg[0].ts;
      if (seg.length < 3 || seg[seg.length - 1].ts - t0 <= 0) return null;
      const f = 20 + rng.next() * 480;
      for (let i = 1; i < seg.length; i++) {
        retime(seg[i], t0 + (seg[i].ts - t0) / f);
        labels[i] = 1;
      }
      break;
    }
    case 'ttl-anomaly': {
      const ipPkts = seg.filter((p) => p.srcIp !== null && p.ttl >= 0);
      if (ipPkts.length === 0) return null;
      const src = rng.pick(ipPkts).srcIp;
      const low = rng.chance(0.5);
      seg.forEach((p, i) => {
        if (p.srcIp !== src || p.ttl < 0) return;
        // Far from the host's usual TTL either way (and never equal to it).
        p.ttl = (low || p.ttl > 200) && p.ttl > 8 ? rng.range(1, 4) : Math.min(255, p.ttl + rng.range(60, 120));
        labels[i] = 1;
      });
      break;
    }
    case 'brute-force': {
      // Password guessing: many short logins to one service of one LAN host, each a handshake,
      // banners, maybe a key exchange and 1-3 failed attempts, paced anywhere from fast to slow.
      const target = rng.pick(prof.internal);
      const lanPeers = prof.internal.filter((h) => h !== target && h.includes(':') === target.includes(':'));
      const attacker = rng.chance(0.5) && lanPeers.length > 0 ? rng.pick(lanPeers) : prof.newExternalIp();
      const port = rng.chance(0.5) ? rng.pick(prof.serverPortsOf(target)) : rng.pick(LOGIN_PORTS);
      const gap = rng.pick([0.05, 0.5, 3]);
      for (let s = rng.range(8, 40); s > 0; s--) {
        const ex: Array<[boolean, number]> = [[false, rng.range(20, 45)], [true, rng.range(20, 45)]];
        if (rng.chance(0.5)) ex.push([true, rng.range(600, 1460)], [false, rng.range(600, 1460)]);
        for (let a = rng.range(1, 3); a > 0; a--) ex.push([true, rng.range(40, 120)], [false, rng.range(20, 80)]);
        tcpSession(attacker, target, prof.ephemeralPort(), port, ex);
        t += rng.exp(1 / gap);
      }
      break;
    }
    case 'amplification': {
      // Reflection: large UDP answers from Internet servers' service ports to one LAN host that
      // asked none of them (its address was spoofed), through the gateway.
      const victim = rng.pick(prof.internal);
      const [sport, lo, hi] = rng.pick(REFLECTED_SERVICES);
      const reflectors = Array.from({ length: rng.range(3, 40) }, () => prof.newExternalIp());
      const dport = rng.chance(0.5) ? rng.range(1024, 65535) : -1;
      const gap = rng.pick([0.0005, 0.005, 0.05]);
      for (let i = rng.range(60, 300); i > 0; i--) {
        const b = { ...base(null, victim), srcMac: prof.gatewayMac };
        const len = rng.range(lo, hi);
        const dns = sport === 53 ? dnsInfo(rng.int(65536), true, rng.pick(['', 'isc.org', 'ripe.net', `${randomLabel(rng, 4, 10)}.com`]), 255, rng.range(10, 40)) : null;
        out.push(udpPacket(b, rng.pick(reflectors), victim, rng.range(40, 120), sport, dport >= 0 ? dport : rng.range(1024, 65535), len, dns));
        t += rng.exp(1 / gap);
      }
      break;
    }
    case 'fragment-attack': {
      // IPv4 fragments a stack should never have to reassemble: overlapping pairs (teardrop),
      // a datagram longer than 65,535 bytes when reassembled (ping of death), or a stream of
      // tiny fragments at random offsets. From outside (through the gateway) or from a LAN host.
      const victim = prof.internal.find((h) => !h.includes(':') && rng.chance(0.5)) ?? prof.internal.find((h) => !h.includes(':'));
      if (!victim) return null;
      const outside = rng.chance(0.5) || prof.internal.length < 2;
      const attacker = outside ? prof.newExternalIp() : prof.otherHost(victim);
      if (attacker.includes(':')) return null;
      const from = () => (outside ? { ...base(null, victim), srcMac: prof.gatewayMac } : base(attacker, victim));
      const ttl = outside ? rng.range(30, 128) : prof.ttlOf(attacker);
      const variant = rng.pick(['teardrop', 'ping-of-death', 'tiny'] as const);
      const gap = rng.pick([0.0005, 0.01, 0.3]);
      if (variant === 'teardrop') {
        for (let n = rng.range(1, 12); n > 0; n--) {
          const first = 8 * rng.range(2, 6); // bytes after the IP header, UDP header included
          out.push(asFirstFragment(udpPacket(from(), attacker, victim, ttl, rng.range(1024, 65535), rng.range(1, 65535), first - 8)));
          t += 0.0001 + rng.next() * 0.001;
          out.push(ipv4Fragment(from(), attacker, victim, 17, ttl, 8 * rng.range(1, first / 8 - 1), false, rng.range(1, 8)));
          t += rng.exp(1 / gap);
        }
      } else if (variant === 'ping-of-death') {
        for (let n = rng.range(1, 3); n > 0; n--) {
          out.push(asFirstFragment(icmpPacket(from(), attacker, victim, ttl, 8, 0, 1472)));
          for (let off = 1480; off <= 65528 - 1480; off += 1480) {
            t += 0.00002 + rng.next() * 0.0002;
            out.push(ipv4Fragment(from(), attacker, victim, 1, ttl, off, true, 1480));
          }
          t += 0.0001;
          out.push(ipv4Fragment(from(), attacker, victim, 1, ttl, 65528, false, rng.range(400, 1480)));
          t += rng.exp(1 / gap);
        }
      } else {
        const proto = rng.pick([17, 6, 1]);
        for (let n = rng.range(20, 200); n > 0; n--) {
          out.push(ipv4Fragment(from(), attacker, victim, proto, ttl, 8 * rng.range(1, 8000), rng.chance(0.8), 8 * rng.range(1, 4)));
          t += rng.exp(1 / gap);
        }
      }
      break;
    }
    case 'worm-probe': {
      // One datagram of one fixed size to one port at many addresses (Slammer, 376 bytes to
      // UDP 1434): an infected LAN host spraying out and across its /24, or one from outside
      // spraying the LAN; most addresses answer nothing.
      const port = rng.pick(WORM_UDP_PORTS);
      const size = rng.range(200, 1400);
      const inside = rng.chance(0.5);
      const src = inside ? rng.pick(prof.internal) : prof.newExternalIp();
      if (src.includes(':')) return null;
      const v4 = prof.internal.filter((h) => !h.includes(':'));
      const lan = inside || v4.length === 0 ? src : rng.pick(v4);
      const prefix = lan.slice(0, lan.lastIndexOf('.') + 1);
      const sport = rng.chance(0.5) ? port : prof.ephemeralPort();
      const ttl = inside ? prof.ttlOf(src) : rng.range(30, 128);
      const gap = rng.pick([0.0005, 0.005, 0.2]);
      // LAN targets: the /24's known hosts and addresses nobody holds (a sensor on the uplink
      // sees those too), as the horizontal port scan probes them.
      const lanHosts = prof.internal.filter((h) => !h.includes(':') && h !== src && h.startsWith(prefix));
      for (let n = rng.range(5, 60); n > 0; n--) {
        const offLan = inside && rng.chance(0.6);
        const dst = offLan ? prof.newExternalIp() : lanHosts.length > 0 && rng.chance(0.5) ? rng.pick(lanHosts) : prefix + rng.range(1, 254);
        if (dst === src) continue;
        const b = offLan ? { ...base(src, null), dstMac: prof.gatewayMac } : inside ? base(src, dst) : { ...base(null, dst), srcMac: prof.gatewayMac };
        out.push(udpPacket(b, src, dst, ttl, sport, port, size));
        t += rng.exp(1 / gap);
      }
      break;
    }
    case 'ordinary-session': {
      // Benign: one LAN host fetches something from a new peer on a web port or a port the
      // stream already serves (a request, a download of full segments, maybe a second request).
      const client = rng.pick(prof.internal);
      const server = rng.chance(0.7) ? prof.newExternalIp() : prof.otherHost(client);
      const seen = [...prof.ports].filter((x) => x < 1024);
      const port = rng.chance(0.6) || seen.length === 0 ? rng.pick([80, 443]) : rng.pick(seen);
      const ex: Array<[boolean, number]> = [];
      for (let r = rng.range(1, 2); r > 0; r--) {
        ex.push([true, rng.range(80, 700)]);
        for (let k = rng.range(0, 20); k > 0; k--) ex.push([false, rng.chance(0.8) ? 1448 : rng.range(100, 1448)]);
        ex.push([false, rng.range(50, 1448)]);
      }
      tcpSession(client, server, prof.ephemeralPort(), port, ex);
      break;
    }
    case 'icmp-sweep': {
      const host = prof.internal.find((h) => !h.includes(':') && rng.chance(0.5)) ?? prof.internal.find((h) => !h.includes(':'));
      if (!host) return null;
      const prefix = host.slice(0, host.lastIndexOf('.') + 1);
      const first = rng.range(1, 50);
      for (let k = first; k < Math.min(255, first + rng.range(20, 200)); k++) {
        const dst = prefix + k;
        if (dst === host) continue;
        out.push(icmpPacket(base(host, dst), host, dst, prof.ttlOf(host), 8, 0, 0));
        if (prof.knownHosts.has(dst)) {
          t += 0.0002 + rng.next() * 0.001;
          out.push(icmpPacket(base(dst, host), dst, host, prof.ttlOf(dst), 0, 0, 0));
        }
        t += 0.001 + rng.exp(1 / 0.003);
      }
      break;
    }
  }
  return { kind, injected: out };
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

function randomLabel(rng: SeededRandom, min: number, max: number): string {
  let s = '';
  for (let n = rng.range(min, max); n > 0; n--) s += B32[rng.int(32)];
  return s;
}
