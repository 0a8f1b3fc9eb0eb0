import type { DecodedPacket } from '../capture/decode/decoded-packet';
import type { SeededRandom } from '../seeded-random';

/**
 * What the anomaly injector needs to know about a real stream so injected attacks use its
 * hosts, MACs, TTLs, resolver and gateway: built in one pass over the packets.
 */
export interface StreamProfile {
  tsDigits: number;
  source: string;
  /** Private (LAN) addresses seen as senders; never empty (synthetic fallback). */
  internal: string[];
  knownHosts: Set<string>;
  /** MAC that off-LAN traffic uses (the router's); null when the link has no MACs. */
  gatewayMac: string | null;
  gatewayIp: string;
  dnsServer: string;
  ports: Set<number>;
  macFor(ip: string | null): string | null;
  ttlOf(ip: string): number;
  otherHost(ip: string): string;
  serverPortsOf(ip: string): number[];
  newExternalIp(): string;
  newMac(): string;
  ephemeralPort(): number;
  unseenPort(): number;
}

export function isPrivateIp(ip: string): boolean {
  if (ip.includes(':')) return ip.startsWith('fe80:') || ip.startsWith('fd') || ip.startsWith('fc');
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || a === 127;
}

function mostCommon<K>(m: Map<K, number>): K | undefined {
  let best: K | undefined;
  let n = -1;
  for (const [k, v] of m) if (v > n) { best = k; n = v; }
  return best;
}

export function profileStream(packets: DecodedPacket[], rng: SeededRandom): StreamProfile {
  const macOf = new Map<string, string>();
  const ttl = new Map<string, number>();
  const known = new Set<string>();
  const internalSeen = new Set<string>();
  const ports = new Set<number>();
  const serverPorts = new Map<string, Set<number>>();
  const offLanMac = new Map<string, number>();
  const dnsDst = new Map<string, number>();
  let anyMac = false;
  for (const p of packets) {
    if (p.srcMac !== null) anyMac = true;
    if (p.srcIp !== null && p.dstIp !== null) {
      known.add(p.srcIp);
      known.add(p.dstIp);
      if (!ttl.has(p.srcIp) && p.ttl >= 0) ttl.set(p.srcIp, p.ttl);
      if (isPrivateIp(p.srcIp)) {
        internalSeen.add(p.srcIp);
        if (p.srcMac !== null && !macOf.has(p.srcIp)) macOf.set(p.srcIp, p.srcMac);
        if (!isPrivateIp(p.dstIp) && p.dstMac !== null) offLanMac.set(p.dstMac, (offLanMac.get(p.dstMac) ?? 0) + 1);
      }
      if (p.dstPort === 53) dnsDst.set(p.dstIp, (dnsDst.get(p.dstIp) ?? 0) + 1);
    }
    if (p.arpSenderIp !== null && p.arpSenderMac !== null && isPrivateIp(p.arpSenderIp)) {
      internalSeen.add(p.arpSenderIp);
      known.add(p.arpSenderIp);
      if (!macOf.has(p.arpSenderIp)) macOf.set(p.arpSenderIp, p.arpSenderMac);
    }
    if (p.srcPort >= 0) {
      ports.add(p.srcPort);
      ports.add(p.dstPort);
      if (p.srcIp !== null && p.srcPort < p.dstPort) {
        let s = serverPorts.get(p.srcIp);
        if (!s) serverPorts.set(p.srcIp, (s = new Set()));
        s.add(p.srcPort);
      }
    }
  }
  const internal = [...internalSeen].sort();
  if (internal.length === 0) internal.push('10.0.0.5', '10.0.0.6');
  if (internal.length === 1) internal.push(internal[0].includes(':') ? 'fd00::6' : internal[0].replace(/\d+$/, (d) => String((Number(d) % 250) + 2)));
  for (const h of internal) known.add(h);
  const v4 = internal.find((h) => !h.includes(':')) ?? '10.0.0.5';
  const gatewayIp = [...macOf].find(([, m]) => m === mostCommon(offLanMac))?.[0] ?? v4.replace(/\d+$/, '1');
  const randomMac = (): string => Array.from({ length: 6 }, (_, i) => (i === 0 ? 2 : rng.int(256)).toString(16).padStart(2, '0')).join(':');
  const gatewayMac = anyMac ? mostCommon(offLanMac) ?? macOf.get(gatewayIp) ?? randomMac() : null;
  const knownList = [...known].sort();
  const prof: StreamProfile = {
    tsDigits: packets[0]?.tsDigits ?? 6,
    source: packets[0]?.source ?? 'injected',
    internal,
    knownHosts: known,
    gatewayMac,
    gatewayIp,
    dnsServer: mostCommon(dnsDst) ?? gatewayIp,
    ports,
    macFor(ip) {
      if (!anyMac) return null;
      if (ip === null) return gatewayMac;
      let m = macOf.get(ip);
      if (m === undefined) {
        m = isPrivateIp(ip) ? randomMac() : gatewayMac!;
        if (isPrivateIp(ip)) macOf.set(ip, m);
      }
      return m;
    },
    ttlOf(ip) {
      return ttl.get(ip) ?? (isPrivateIp(ip) ? 64 : 52);
    },
    otherHost(ip) {
      const others = knownList.filter((h) => h !== ip && h.includes(':') === ip.includes(':'));
      return others.length > 0 ? rng.pick(others) : ip.includes(':') ? 'fd00::7' : ip.replace(/\d+$/, (d) => String((Number(d) % 250) + 3));
    },
    serverPortsOf(ip) {
      const s = serverPorts.get(ip);
      return s && s.size > 0 ? [...s].sort((a, b) => a - b) : [80, 443];
    },
    newExternalIp() {
      for (;;) {
        const ip = `${rng.range(1, 223)}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`;
        if (!known.has(ip) && !isPrivateIp(ip)) return ip;
      }
    },
    newMac: randomMac,
    ephemeralPort: () => rng.range(49152, 65535),
    unseenPort() {
      for (;;) {
        const p = rng.range(1024, 65535);
        if (!ports.has(p)) return p;
      }
    },
  };
  return prof;
}
