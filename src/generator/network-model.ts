import { SeededRandom } from '../seeded-random';
import type { Ip6, Mac } from './frame-builder';

/** A machine on the simulated LAN (the capture point sees its frames directly). */
export interface LanHost {
  index: number;
  mac: Mac;
  ip: number;
  /** Link-local and ULA global IPv6 addresses. */
  ip6ll: Ip6;
  ip6: Ip6;
  /** Initial TTL of its OS: 64 Linux/macOS, 128 Windows. */
  ttl: number;
  /** 'windows' hosts use ephemeral ports 49152+, the others 32768+ (as the OSes do). */
  ephemeralBase: number;
}

/** A remote server: its frames reach the LAN through the gateway, so they carry the gateway's MAC. */
export interface RemoteServer {
  name: string;
  ip: number;
  /** TTL as it arrives at the LAN (initial TTL minus hops). */
  arrivalTtl: number;
  /** Round-trip time from the LAN, seconds. */
  rtt: number;
}

export interface Network {
  hosts: LanHost[];
  gateway: LanHost;
  broadcastMac: Mac;
  zeroMac: Mac;
  /** Web/TLS servers by DNS name (names double as the DNS answers). */
  servers: RemoteServer[];
  ntpServers: RemoteServer[];
  pingTargets: RemoteServer[];
}

export function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function ip4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function macToString(m: Uint8Array): string {
  return Array.from(m, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Vendor OUIs of common NICs, so MACs look like real hardware in tshark's resolver column. */
const OUIS = [
  [0x3c, 0x22, 0xfb], [0xf0, 0x18, 0x98], [0xdc, 0xa6, 0x32], [0x00, 0x1b, 0x21], [0x8c, 0x85, 0x90],
  [0xb8, 0x27, 0xeb], [0x00, 0x50, 0x56], [0xa4, 0x83, 0xe7], [0x44, 0x8a, 0x5b], [0x70, 0x85, 0xc2],
];

export function randomMac(rng: SeededRandom): Mac {
  const o = rng.pick(OUIS);
  return Uint8Array.of(o[0], o[1], o[2], rng.int(256), rng.int(256), rng.int(256));
}

function ip6From(prefix: number[], mac: Mac): Ip6 {
  // Modified EUI-64 interface id, as SLAAC derives it.
  const a = new Uint8Array(16);
  for (let i = 0; i < prefix.length; i++) a[i] = prefix[i];
  a[8] = mac[0] ^ 0x02;
  a[9] = mac[1];
  a[10] = mac[2];
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3];
  a[14] = mac[4];
  a[15] = mac[5];
  return a;
}

const LL_PREFIX = [0xfe, 0x80, 0, 0, 0, 0, 0, 0];
const ULA_PREFIX = [0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1];

function makeHost(rng: SeededRandom, index: number, ip: number, ttl?: number): LanHost {
  const mac = randomMac(rng);
  const windows = ttl === undefined ? rng.chance(0.4) : ttl === 128;
  return {
    index,
    mac,
    ip,
    ip6ll: ip6From(LL_PREFIX, mac),
    ip6: ip6From(ULA_PREFIX, mac),
    ttl: ttl ?? (windows ? 128 : 64),
    ephemeralBase: windows ? 49152 : 32768,
  };
}

/** Public-looking server addresses: fixed per name so the same name always resolves the same way. */
function makeServers(rng: SeededRandom, names: readonly string[]): RemoteServer[] {
  const firstOctets = [13, 23, 34, 52, 93, 104, 142, 151, 172, 185, 199, 208];
  return names.map((name) => ({
    name,
    ip: ((rng.pick(firstOctets) << 24) | (rng.int(256) << 16) | (rng.int(256) << 8) | (1 + rng.int(254))) >>> 0,
    arrivalTtl: rng.pick([64, 128, 255]) - rng.range(6, 20),
    rtt: 0.008 + rng.exp(1 / 0.03),
  }));
}

export function buildNetwork(rng: SeededRandom, hostCount: number, webNames: readonly string[]): Network {
  const gateway = makeHost(rng, -1, ip4('192.168.1.1'), 64);
  gateway.ip6 = Uint8Array.of(0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1);
  const hosts: LanHost[] = [];
  const base = ip4('192.168.1.10');
  for (let i = 0; i < hostCount; i++) hosts.push(makeHost(rng, i, (base + i) >>> 0));
  return {
    hosts,
    gateway,
    broadcastMac: new Uint8Array([255, 255, 255, 255, 255, 255]),
    zeroMac: new Uint8Array(6),
    servers: makeServers(rng, webNames),
    ntpServers: makeServers(rng, ['0.pool.ntp.org', '1.pool.ntp.org', 'time.cloudflare.com']),
    pingTargets: [
      { name: 'dns.google', ip: ip4('8.8.8.8'), arrivalTtl: 117, rtt: 0.012 },
      { name: 'one.one.one.one', ip: ip4('1.1.1.1'), arrivalTtl: 57, rtt: 0.009 },
    ],
  };
}
