import type { Actor } from './actor-queue';
import type { CaptureContext } from './capture-context';
import { TCP_ACK, TCP_RST, TCP_SYN, V4Hop, arp, tcp4 } from './frame-builder';
import { QTYPE_TXT } from './dns-message';
import { ascii, sshEcdhInit, sshEcdhReply, sshEncrypted, sshKexInit, sshNewKeys } from './app-payloads';
import { dnsLookup, ephemeralPort, hostEndpoint } from './benign-sessions';
import type { LanHost } from './network-model';
import { play } from './script-actor';
import { Endpoint4, TcpMessage, planTcpFlow } from './tcp-flow';

export const SCENARIO_KINDS = ['portscan', 'synflood', 'dnstunnel', 'dnsshell', 'arpspoof', 'sshbrute', 'telnetbrute'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export interface ScenarioSpec {
  kind: ScenarioKind;
  startSec: number;
  durationSec: number;
  /** Multiplies the attack's event rate (default 1). */
  intensity?: number;
}

/** Attack events per second at intensity 1. */
const RATES: Record<ScenarioKind, number> = {
  portscan: 150, synflood: 800, dnstunnel: 8, dnsshell: 1, arpspoof: 2, sshbrute: 3, telnetbrute: 2,
};

const SCAN_PORTS = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080];
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Drives one attack between its start and end: every event (a probe, a spoofed SYN, a tunnel
 * query, a login attempt ...) is planned as a script whose packets are all labelled with the
 * scenario name, including the victim's answers (they exist only because of the attack).
 */
export class ScenarioDriver implements Actor {
  t: number;
  seq = 0;
  private readonly endT: number;
  private readonly rate: number;
  private readonly attacker: LanHost;
  private readonly victim: LanHost;
  private readonly remoteIp: number;
  private readonly scanPorts: number[];
  private scanIndex = 0;
  private readonly scanSport: number;
  private arpVictim = 0;
  private started = false;

  constructor(private readonly ctx: CaptureContext, private readonly spec: ScenarioSpec) {
    const rng = ctx.rng;
    const hosts = ctx.net.hosts;
    this.t = spec.startSec;
    this.endT = spec.startSec + spec.durationSec;
    this.rate = RATES[spec.kind] * (spec.intensity ?? 1);
    this.attacker = hosts[rng.int(hosts.length)];
    const others = hosts.filter((h) => h !== this.attacker);
    this.victim = others.length > 0 ? rng.pick(others) : this.attacker;
    this.remoteIp = ((rng.pick([45, 89, 103, 185, 193]) << 24) | (rng.int(256) << 16) | (rng.int(256) << 8) | (1 + rng.int(254))) >>> 0;
    const rest: number[] = [];
    for (let p = 1; p <= 1024; p++) if (!SCAN_PORTS.includes(p)) rest.push(p);
    this.scanPorts = [...rng.shuffle([...SCAN_PORTS]), ...rng.shuffle(rest)];
    this.scanSport = 40000 + rng.int(20000);
  }

  step(): boolean {
    if (this.t >= this.endT) return false;
    const t = this.t;
    switch (this.spec.kind) {
      case 'portscan': this.probe(t); break;
      case 'synflood': this.spoofedSyn(t); break;
      case 'dnstunnel': this.tunnelQuery(t); break;
      case 'dnsshell': if (!this.started) this.shellOverDnsPort(t); break;
      case 'arpspoof': this.spoofArp(t); break;
      case 'sshbrute': this.loginAttempt(t, 22); break;
      case 'telnetbrute': this.loginAttempt(t, 23); break;
    }
    this.started = true;
    if (this.spec.kind === 'dnsshell') return false;
    this.t = t + this.ctx.rng.exp(this.rate);
    return true;
  }

  private remote(ttl: number): Endpoint4 {
    return { mac: this.ctx.net.gateway.mac, ip: this.remoteIp, ttl };
  }

  /** nmap -sS style: one SYN (1024 window, MSS option only); RST/ACK if closed, SYN/ACK + RST if open. */
  private probe(t: number): void {
    const rng = this.ctx.rng;
    const a = this.attacker;
    const v = this.victim;
    const port = this.scanPorts[this.scanIndex++ % this.scanPorts.length];
    const seq = rng.u32();
    const out: V4Hop = { srcMac: a.mac, dstMac: v.mac, srcIp: a.ip, dstIp: v.ip, ttl: rng.range(37, 59), ipId: rng.int(65536) };
    const back: V4Hop = { srcMac: v.mac, dstMac: a.mac, srcIp: v.ip, dstIp: a.ip, ttl: v.ttl, ipId: 0 };
    const mss = Uint8Array.of(2, 4, 0x05, 0xb4);
    const open = port === 22 || port === 80 || port === 443;
    const r = t + 0.0001 + rng.next() * 0.0005;
    const steps = [{ t, fn: (b: Uint8Array) => tcp4(b, out, this.scanSport, port, seq, 0, TCP_SYN, 1024, mss, 0) }];
    if (open) {
      const sisn = rng.u32();
      steps.push({ t: r, fn: (b) => tcp4(b, back, port, this.scanSport, sisn, seq + 1, TCP_SYN | TCP_ACK, 64240, mss, 0) });
      steps.push({ t: r + 0.00005, fn: (b) => tcp4(b, out, this.scanSport, port, seq + 1, 0, TCP_RST, 0, null, 0) });
    } else {
      steps.push({ t: r, fn: (b) => tcp4(b, back, port, this.scanSport, 0, seq + 1, TCP_RST | TCP_ACK, 0, null, 0) });
    }
    play(this.ctx, steps, 'portscan');
  }

  /** SYN from a random spoofed Internet source to the victim's web port; the victim answers SYN/ACK. */
  private spoofedSyn(t: number): void {
    const rng = this.ctx.rng;
    const gw = this.ctx.net.gateway;
    const v = this.victim;
    const src = ((1 + rng.int(223)) << 24 | rng.int(1 << 24)) >>> 0;
    const sport = 1024 + rng.int(64511);
    const seq = rng.u32();
    const out: V4Hop = { srcMac: gw.mac, dstMac: v.mac, srcIp: src, dstIp: v.ip, ttl: rng.range(40, 250), ipId: rng.int(65536) };
    const back: V4Hop = { srcMac: v.mac, dstMac: gw.mac, srcIp: v.ip, dstIp: src, ttl: v.ttl, ipId: 0 };
    const steps = [{ t, fn: (b: Uint8Array) => tcp4(b, out, sport, 80, seq, 0, TCP_SYN, 512 * (1 + rng.int(64)), null, 0) }];
    if (rng.chance(0.7)) {
      const sisn = rng.u32();
      steps.push({ t: t + 0.00005, fn: (b) => tcp4(b, back, 80, sport, sisn, seq + 1, TCP_SYN | TCP_ACK, 64240, null, 0) });
    }
    play(this.ctx, steps, 'synflood');
  }

  /** iodine/dnscat-like: data encoded in long random labels, TXT answers carrying base64. */
  private tunnelQuery(t: number): void {
    const rng = this.ctx.rng;
    const label = (n: number, alphabet: string): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
      return s;
    };
    const qname = `${label(rng.range(40, 63), B32)}.${label(rng.range(20, 63), B32)}.t.update-cdn-sync.net`;
    const txt = [label(rng.range(120, 255), B64)];
    dnsLookup(this.ctx, this.attacker, t, qname, QTYPE_TXT, { txt, ttl: 0 }, 'dnstunnel');
  }

  /** A reverse shell to a remote host's TCP port 53: commands and their output, not DNS. */
  private shellOverDnsPort(t: number): void {
    const rng = this.ctx.rng;
    const cmds = ['id', 'uname -a', 'ls -la /home', 'cat /etc/passwd', 'ps aux', 'netstat -tnp', 'whoami', 'ifconfig', 'cat ~/.ssh/id_rsa'];
    const n = Math.max(3, Math.round((this.spec.durationSec / 6) * (this.spec.intensity ?? 1)));
    const meanGap = this.spec.durationSec / (n + 1) / 2;
    const messages: TcpMessage[] = [];
    for (let i = 0; i < n; i++) {
      const cmd = rng.pick(cmds);
      messages.push({ fromClient: false, data: ascii(`${cmd}\n`), gap: rng.exp(1 / meanGap) });
      messages.push({ fromClient: true, data: this.ctx.randomBytes(40 + Math.round(rng.logNormal(5, 1.2))).map((x) => 32 + (x % 95)), gap: 0.005 + rng.next() * 0.05 });
    }
    play(this.ctx, planTcpFlow(this.ctx, {
      client: hostEndpoint(this.attacker), server: this.remote(rng.range(45, 60)), cport: ephemeralPort(this.ctx, this.attacker), sport: 53,
      start: t, rtt: 0.04, messages, close: 'client-fin',
    }), 'dnsshell');
  }

  /** Unsolicited "gateway is-at <attacker MAC>" replies to each victim, with some gratuitous broadcasts. */
  private spoofArp(t: number): void {
    const ctx = this.ctx;
    const net = ctx.net;
    const a = this.attacker;
    const gwIp = net.gateway.ip;
    if (ctx.rng.chance(0.15)) {
      play(ctx, [{ t, fn: (b) => arp(b, net.broadcastMac, a.mac, 2, a.mac, gwIp, net.broadcastMac, gwIp) }], 'arpspoof');
      return;
    }
    const v = net.hosts[this.arpVictim++ % net.hosts.length];
    if (v === a) return;
    play(ctx, [{ t, fn: (b) => arp(b, v.mac, a.mac, 2, a.mac, gwIp, v.mac, v.ip) }], 'arpspoof');
  }

  /** One failed login from the remote attacker: short session, then close. */
  private loginAttempt(t: number, port: 22 | 23): void {
    const ctx = this.ctx;
    const rng = ctx.rng;
    const m: TcpMessage[] = [];
    if (port === 22) {
      m.push({ fromClient: false, data: ascii('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n'), gap: 0.002 });
      m.push({ fromClient: true, data: ascii('SSH-2.0-libssh_0.9.6\r\n'), gap: 0.001 });
      m.push({ fromClient: true, data: sshKexInit(ctx.randomBytes(16)), gap: 0.0005 });
      m.push({ fromClient: false, data: sshKexInit(ctx.randomBytes(16)), gap: 0.001 });
      m.push({ fromClient: true, data: sshEcdhInit(ctx.randomBytes(32)), gap: 0.001 });
      m.push({ fromClient: false, data: sshEcdhReply(ctx.randomBytes(128)), gap: 0.003 });
      m.push({ fromClient: true, data: sshNewKeys(), gap: 0.001 });
      for (const [fromClient, len] of [[true, 52], [false, 52], [true, 84], [false, 60], [true, 116], [false, 60]] as const) {
        m.push({ fromClient, data: sshEncrypted(len, ctx.randomBytes(len)), gap: 0.001 + rng.next() * 0.01 });
      }
    } else {
      m.push({ fromClient: false, data: Uint8Array.of(255, 253, 24, 255, 253, 32, 255, 253, 35, 255, 253, 39), gap: 0.002 });
      m.push({ fromClient: true, data: Uint8Array.of(255, 252, 24, 255, 252, 32, 255, 252, 35, 255, 252, 39), gap: 0.001 });
      m.push({ fromClient: false, data: ascii('\r\nUbuntu 22.04.4 LTS\r\nlogin: '), gap: 0.01 });
      m.push({ fromClient: true, data: ascii(`${rng.pick(['root', 'admin', 'user', 'pi', 'ubnt', 'support'])}\r\n`), gap: 0.05 });
      m.push({ fromClient: false, data: ascii('Password: '), gap: 0.001 });
      m.push({ fromClient: true, data: ascii(`${rng.pick(['123456', 'admin', 'password', 'raspberry', '12345', 'toor'])}\r\n`), gap: 0.05 });
      m.push({ fromClient: false, data: ascii('\r\nLogin incorrect\r\n'), gap: 2 });
    }
    play(ctx, planTcpFlow(ctx, {
      client: this.remote(rng.range(45, 60)), server: hostEndpoint(this.victim), cport: 32768 + rng.int(28000), sport: port,
      start: t, rtt: 0.03 + rng.next() * 0.01, messages: m, close: 'client-fin',
    }), port === 22 ? 'sshbrute' : 'telnetbrute');
  }
}
