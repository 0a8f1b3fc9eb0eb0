import type { CaptureContext } from './capture-context';
import { ICMP4_PAYLOAD, ICMP6_BODY, Ip6, arp, icmp4, icmp6 } from './frame-builder';
import { DnsAnswers, QTYPE_A, QTYPE_AAAA, writeDnsQuery, writeDnsResponse } from './dns-message';
import { DHCP_ACK, DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, dhcpMessage, httpRequest, httpResponse, ndBody, ntpMessage } from './app-payloads';
import { HTTP_NAMES, HTTP_PATHS, LOCAL_NAMES, USER_AGENTS, WEB_NAMES } from './domain-names';
import type { LanHost, RemoteServer } from './network-model';
import { ip4 } from './network-model';
import { play, ScriptStep } from './script-actor';
import { Endpoint4, TcpMessage, planTcpFlow } from './tcp-flow';
import { appData, clientFinished, clientHello, serverFlight } from './tls-messages';
import { hop4, hop6, udp4Step, udp6Step } from './udp-steps';

const portCounters = new WeakMap<LanHost, number>();

/** Next ephemeral port of a host (sequential, as Linux and Windows allocate them). */
export function ephemeralPort(ctx: CaptureContext, h: LanHost): number {
  let p = portCounters.get(h) ?? h.ephemeralBase + ctx.rng.int(8000);
  p = p >= 65535 ? h.ephemeralBase : p + 1 + (ctx.rng.chance(0.2) ? ctx.rng.int(3) : 0);
  portCounters.set(h, p);
  return p;
}

export function hostEndpoint(h: LanHost): Endpoint4 {
  return { mac: h.mac, ip: h.ip, ttl: h.ttl };
}

export function remoteEndpoint(ctx: CaptureContext, s: RemoteServer): Endpoint4 {
  return { mac: ctx.net.gateway.mac, ip: s.ip, ttl: s.arrivalTtl };
}

/** Resolver delay: mostly cache hits, sometimes a full recursion. */
function resolverDelay(ctx: CaptureContext): number {
  return ctx.rng.chance(0.7) ? 0.0004 + ctx.rng.exp(1 / 0.001) : 0.01 + ctx.rng.exp(1 / 0.04);
}

/** One DNS query/answer to the LAN resolver over IPv4; returns when the answer arrives. */
export function dnsLookup(ctx: CaptureContext, host: LanHost, t: number, qname: string, qtype: number, ans: DnsAnswers, scenario: string | null = null): number {
  const rng = ctx.rng;
  const gw = ctx.net.gateway;
  const id = rng.int(65536);
  const sport = ephemeralPort(ctx, host);
  const edns = rng.chance(0.6);
  const done = t + resolverDelay(ctx);
  play(ctx, [
    udp4Step(t, hop4(host.mac, gw.mac, host.ip, gw.ip, host.ttl, rng.int(65536)), sport, 53, (b, o) => writeDnsQuery(b, o, id, qname, qtype, edns)),
    udp4Step(done, hop4(gw.mac, host.mac, gw.ip, host.ip, 64, rng.int(65536)), 53, sport, (b, o) => writeDnsResponse(b, o, id, qname, qtype, ans, edns)),
  ], scenario);
  return done;
}

function v6Answer(s: RemoteServer): Uint8Array {
  const a = Uint8Array.of(0x26, 0x06, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  a[12] = s.ip >>> 24;
  a[13] = (s.ip >>> 16) & 255;
  a[14] = (s.ip >>> 8) & 255;
  a[15] = s.ip & 255;
  return a;
}

/** Zipf-like choice: a few sites get most visits. */
function pickServer(ctx: CaptureContext, names: readonly string[]): RemoteServer {
  const i = Math.min(names.length - 1, Math.floor(ctx.rng.exp(1 / (names.length / 5))));
  const name = names[i];
  return ctx.net.servers.find((s) => s.name === name) ?? ctx.net.servers[0];
}

/** Browse: DNS (A, often AAAA too), then a TLS or plain-HTTP connection with a few requests. */
export function webSession(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  const tls = rng.chance(0.85);
  const server = pickServer(ctx, tls ? WEB_NAMES : HTTP_NAMES);
  const ttl = rng.pick([60, 300, 3600]);
  let ready = dnsLookup(ctx, host, t, server.name, QTYPE_A, { a: [server.ip], ttl, cname: rng.chance(0.2) ? `${server.name}.cdn.cloudflare.net` : undefined });
  if (rng.chance(0.5)) ready = Math.max(ready, dnsLookup(ctx, host, t + 0.00005, server.name, QTYPE_AAAA, { aaaa: [v6Answer(server)], ttl }));
  const messages: TcpMessage[] = [];
  const requests = 1 + Math.min(8, Math.floor(rng.exp(1 / 1.5)));
  if (tls) {
    messages.push({ fromClient: true, data: clientHello(server.name, ctx.randomBytes(96)), gap: 0 });
    messages.push({ fromClient: false, data: serverFlight(ctx.randomBytes(64), ctx.randomBytes(32), rng.range(2400, 4800), ctx.randomBytes(1024)), gap: 0.002 });
    messages.push({ fromClient: true, data: clientFinished(ctx.randomBytes(64)), gap: 0.0005 });
  }
  for (let i = 0; i < requests; i++) {
    const gap = i === 0 ? 0.0002 : rng.exp(1 / 0.8);
    const bodyLen = Math.min(400_000, Math.round(rng.logNormal(8.3, 1.6)));
    if (tls) {
      messages.push({ fromClient: true, data: appData(rng.range(90, 900), ctx.randomBytes(1024)), gap });
      messages.push({ fromClient: false, data: appData(bodyLen, ctx.randomBytes(16401)), gap: 0.001 + rng.exp(1 / 0.02) });
    } else {
      messages.push({ fromClient: true, data: httpRequest(server.name, rng.pick(HTTP_PATHS), rng.pick(USER_AGENTS)), gap });
      messages.push({ fromClient: false, data: httpResponse(bodyLen, ctx.randomBytes(4096), 'application/octet-stream'), gap: 0.001 + rng.exp(1 / 0.02) });
    }
  }
  const close = rng.weighted([6, 3, 1]);
  const steps = planTcpFlow(ctx, {
    client: hostEndpoint(host),
    server: remoteEndpoint(ctx, server),
    cport: ephemeralPort(ctx, host),
    sport: tls ? 443 : 80,
    start: ready + 0.0003 + rng.exp(1 / 0.002),
    rtt: server.rtt * (0.9 + 0.2 * rng.next()),
    messages,
    close: close === 0 ? 'client-fin' : close === 1 ? 'server-fin' : 'client-rst',
  });
  play(ctx, steps, null);
}

/** Lookups with no connection after them (prefetch, local names, telemetry). */
export function dnsOnlySession(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  if (rng.chance(0.3)) {
    const name = rng.pick(LOCAL_NAMES);
    const nx = name === 'wpad.lan' || name.endsWith('.local');
    dnsLookup(ctx, host, t, name, QTYPE_A, nx ? { ttl: 0, rcode: 3 } : { a: [ip4('192.168.1.2') + rng.int(5)], ttl: 600 });
    return;
  }
  const s = pickServer(ctx, WEB_NAMES);
  dnsLookup(ctx, host, t, s.name, QTYPE_A, { a: [s.ip, (s.ip + 1) >>> 0].slice(0, 1 + rng.int(2)), ttl: 300 });
}

export function ntpSession(ctx: CaptureContext, host: LanHost, t: number, baseSec: number): void {
  const rng = ctx.rng;
  const s = rng.pick(ctx.net.ntpServers);
  const frac = rng.u32();
  const sec = baseSec + Math.floor(t);
  play(ctx, [
    udp4Step(t, hop4(host.mac, ctx.net.gateway.mac, host.ip, s.ip, host.ttl, rng.int(65536)), 123, 123, (b, o) => ntpMessage(b, o, false, sec, frac)),
    udp4Step(t + s.rtt, hop4(ctx.net.gateway.mac, host.mac, s.ip, host.ip, s.arrivalTtl, rng.int(65536)), 123, 123, (b, o) => ntpMessage(b, o, true, sec, frac)),
  ], null);
}

/** ping: Linux-style 56-byte echo payload, one per second. */
export function pingSession(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  const target = rng.pick(ctx.net.pingTargets);
  const id = rng.int(65536);
  const n = rng.range(1, 4);
  const steps: ScriptStep[] = [];
  const out = hop4(host.mac, ctx.net.gateway.mac, host.ip, target.ip, host.ttl, rng.int(65536));
  const back = hop4(ctx.net.gateway.mac, host.mac, target.ip, host.ip, target.arrivalTtl, rng.int(65536));
  const data = (b: Uint8Array): number => {
    for (let i = 0; i < 56; i++) b[ICMP4_PAYLOAD + i] = i < 8 ? (id * (i + 3)) & 255 : 0x08 + i;
    return 56;
  };
  for (let i = 1; i <= n; i++) {
    const ti = t + (i - 1) * (1 + rng.next() * 0.002);
    steps.push({ t: ti, fn: (b) => { out.ipId++; return icmp4(b, out, 8, 0, (id << 16) | i, data(b)); } });
    steps.push({ t: ti + target.rtt * (0.9 + 0.2 * rng.next()), fn: (b) => { back.ipId++; return icmp4(b, back, 0, 0, (id << 16) | i, data(b)); } });
  }
  play(ctx, steps, null);
}

/** who-has for the gateway or a peer, and its reply. */
export function arpSession(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  const net = ctx.net;
  const peer = rng.chance(0.6) ? net.gateway : rng.pick(net.hosts);
  if (peer === host) return;
  play(ctx, [
    { t, fn: (b) => arp(b, net.broadcastMac, host.mac, 1, host.mac, host.ip, net.zeroMac, peer.ip) },
    { t: t + 0.0001 + rng.next() * 0.001, fn: (b) => arp(b, host.mac, peer.mac, 2, peer.mac, peer.ip, host.mac, host.ip) },
  ], null);
}

function solicitedNode(target: Ip6): { ip: Ip6; mac: Uint8Array } {
  const ip = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target[13], target[14], target[15]);
  return { ip, mac: Uint8Array.of(0x33, 0x33, 0xff, target[13], target[14], target[15]) };
}

/** IPv6: neighbour discovery for the router, then an AAAA lookup over IPv6. */
export function ipv6Session(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  const gw = ctx.net.gateway;
  const sn = solicitedNode(gw.ip6);
  const na = t + 0.0002 + rng.next() * 0.001;
  play(ctx, [
    { t, fn: (b) => icmp6(b, hop6(host.mac, sn.mac, host.ip6ll, sn.ip, 255), 135, 0, ndBody(b, ICMP6_BODY, false, gw.ip6, host.mac)) },
    { t: na, fn: (b) => icmp6(b, hop6(gw.mac, host.mac, gw.ip6ll, host.ip6ll, 255), 136, 0, ndBody(b, ICMP6_BODY, true, gw.ip6, gw.mac)) },
  ], null);
  const s = pickServer(ctx, WEB_NAMES);
  const id = rng.int(65536);
  const sport = ephemeralPort(ctx, host);
  const q = na + 0.0005;
  play(ctx, [
    udp6Step(q, hop6(host.mac, gw.mac, host.ip6, gw.ip6, 64), sport, 53, (b, o) => writeDnsQuery(b, o, id, s.name, QTYPE_AAAA, true)),
    udp6Step(q + resolverDelay(ctx), hop6(gw.mac, host.mac, gw.ip6, host.ip6, 64), 53, sport, (b, o) => writeDnsResponse(b, o, id, s.name, QTYPE_AAAA, { aaaa: [v6Answer(s)], ttl: 300 }, true)),
  ], null);
}

/** Full DHCP DORA exchange (a lease renewal after reconnecting). */
export function dhcpSession(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  const net = ctx.net;
  const gw = net.gateway;
  const xid = rng.u32();
  const name = `host-${host.index}`;
  const bcast = 0xffffffff;
  const toGw = (b: Uint8Array, type: number, o: number) => dhcpMessage(b, o, type, xid, host.mac, host.ip, gw.ip, name);
  const t1 = t + 0.001 + rng.next() * 0.01;
  const t2 = t1 + 0.0005 + rng.next() * 0.005;
  play(ctx, [
    udp4Step(t, hop4(host.mac, net.broadcastMac, 0, bcast, host.ttl, 0), 68, 67, (b, o) => toGw(b, DHCP_DISCOVER, o)),
    udp4Step(t1, hop4(gw.mac, host.mac, gw.ip, host.ip, 64, rng.int(65536)), 67, 68, (b, o) => toGw(b, DHCP_OFFER, o)),
    udp4Step(t2, hop4(host.mac, net.broadcastMac, 0, bcast, host.ttl, 0), 68, 67, (b, o) => toGw(b, DHCP_REQUEST, o)),
    udp4Step(t2 + 0.001 + rng.next() * 0.005, hop4(gw.mac, host.mac, gw.ip, host.ip, 64, rng.int(65536)), 67, 68, (b, o) => toGw(b, DHCP_ACK, o)),
  ], null);
}

/**
 * An interactive remote login (SSH, now and then Telnet): many small keystroke segments from
 * the client, echoes and command output from the server, human think-time between commands.
 * Real networks have these; a model that never saw one would call every admin session an attack.
 */
export function interactiveSession(ctx: CaptureContext, host: LanHost, t: number): void {
  const rng = ctx.rng;
  const server = ctx.net.servers[rng.int(ctx.net.servers.length)];
  const telnet = rng.chance(0.2);
  const messages: TcpMessage[] = [];
  if (!telnet) {
    messages.push({ fromClient: true, data: ctx.randomBytes(41), gap: 0 }); // version banner
    messages.push({ fromClient: false, data: ctx.randomBytes(40), gap: 0.01 });
    messages.push({ fromClient: true, data: ctx.randomBytes(rng.range(1100, 1600)), gap: 0.001 }); // key exchange
    messages.push({ fromClient: false, data: ctx.randomBytes(rng.range(900, 1200)), gap: 0.02 });
  }
  const commands = 3 + rng.int(20);
  for (let c = 0; c < commands; c++) {
    const keys = 2 + rng.int(25);
    for (let k = 0; k < keys; k++) {
      messages.push({ fromClient: true, data: ctx.randomBytes(telnet ? 1 : 36), gap: k === 0 ? rng.exp(1 / 3) : rng.exp(1 / 0.15) });
      messages.push({ fromClient: false, data: ctx.randomBytes(telnet ? 1 : 36), gap: 0.001 });
    }
    messages.push({ fromClient: false, data: ctx.randomBytes(Math.min(60_000, Math.round(rng.logNormal(6, 1.5)))), gap: 0.01 + rng.exp(1 / 0.05) });
  }
  const steps = planTcpFlow(ctx, {
    client: hostEndpoint(host),
    server: remoteEndpoint(ctx, server),
    cport: ephemeralPort(ctx, host),
    sport: telnet ? 23 : 22,
    start: t,
    rtt: server.rtt * (0.9 + 0.2 * rng.next()),
    messages,
    close: rng.chance(0.8) ? 'client-fin' : 'server-fin',
  });
  play(ctx, steps, null);
}
