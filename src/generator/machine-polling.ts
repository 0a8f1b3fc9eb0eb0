import type { CaptureContext } from './capture-context';
import { httpRequest } from './app-payloads';
import { ephemeralPort, hostEndpoint } from './benign-sessions';
import type { LanHost } from './network-model';
import { play, ScriptStep } from './script-actor';
import { Endpoint4, TcpMessage, planTcpFlow } from './tcp-flow';
import { hop4, udp4Step } from './udp-steps';

/**
 * Machine-to-machine polling: one supervisory host reading its devices on a fixed period, every
 * cycle the same few bytes. An industrial LAN is mostly this (a SCADA server or HMI polling PLCs
 * over Modbus/TCP, S7comm, EtherNet/IP, DNP3), and office LANs have their monitoring server (SNMP,
 * metric scrapes). A model that learned only people's traffic calls all of it an attack: the
 * shipped model flagged a third of a real SCADA LAN's polling before it had seen this kind of
 * traffic (docs/quality.md, "The shipped model and machine polling").
 *
 * Sizes follow each protocol's framing (the payload bytes themselves are filler: features read
 * headers and lengths, not industrial payloads).
 */
export type PollingProfile = 'industrial' | 'monitoring';

export const POLLING_PROFILES: readonly PollingProfile[] = ['industrial', 'monitoring'];

export interface PollingSpec {
  profile: PollingProfile;
  /** Devices the supervisor polls (other LAN hosts; at most all but the supervisor). */
  devices: number;
}

interface PolledProtocol {
  port: number;
  udp: boolean;
  /** Request and response payload bytes, inclusive ranges. */
  request: readonly [number, number];
  response: readonly [number, number];
  /** Poll period, seconds: drawn log-uniformly per device, then held (a poller's period is configured, not random). */
  period: readonly [number, number];
  /** Transactions back to back in one cycle (several register blocks or OIDs): drawn per device, then held. */
  perCycle: readonly [number, number];
  /** Bytes the master sends after each answer (S7's data acknowledgement), 0 for none. */
  followUp: number;
  /** Share of devices polled with a new connection per cycle instead of one long-lived connection. */
  reconnect: number;
  /** Shortest period of a poller that reconnects every cycle (no master opens 20 connections a second to one device). */
  reconnectPeriod?: readonly [number, number];
}

const INDUSTRIAL: ReadonlyArray<readonly [weight: number, PolledProtocol]> = [
  // Modbus/TCP: MBAP (7) + function, address, count (5); answer 9 + 2 bytes per register.
  [4, { port: 502, udp: false, request: [12, 12], response: [11, 129], period: [0.05, 2], perCycle: [1, 4], followUp: 0, reconnect: 0.15, reconnectPeriod: [1, 10] }],
  // S7comm over ISO-on-TCP: TPKT + COTP + S7 read-var job / ack-data.
  [2, { port: 102, udp: false, request: [31, 43], response: [27, 250], period: [0.1, 2], perCycle: [1, 2], followUp: 7, reconnect: 0.05, reconnectPeriod: [1, 10] }],
  // EtherNet/IP explicit messaging (CIP over encapsulation).
  [2, { port: 44818, udp: false, request: [50, 100], response: [60, 180], period: [0.05, 1], perCycle: [1, 2], followUp: 0, reconnect: 0.05, reconnectPeriod: [1, 10] }],
  // DNP3 class polls.
  [1, { port: 20000, udp: false, request: [20, 30], response: [20, 292], period: [0.5, 5], perCycle: [1, 1], followUp: 0, reconnect: 0.05, reconnectPeriod: [1, 10] }],
];

const MONITORING: ReadonlyArray<readonly [weight: number, PolledProtocol]> = [
  // SNMP GET of a few OIDs from one socket.
  [3, { port: 161, udp: true, request: [40, 90], response: [50, 400], period: [10, 60], perCycle: [1, 5], followUp: 0, reconnect: 0 }],
  // Prometheus-style metric scrape: one HTTP request per scrape, a few kB to tens of kB back.
  [2, { port: 9100, udp: false, request: [0, 0], response: [2000, 40000], period: [15, 60], perCycle: [1, 1], followUp: 0, reconnect: 1 }],
];

/** Log-uniform draw in [lo, hi]: poll periods spread over decades. */
function logUniform(ctx: CaptureContext, lo: number, hi: number): number {
  return lo * Math.exp(ctx.rng.next() * Math.log(hi / lo));
}

function between(ctx: CaptureContext, r: readonly [number, number]): number {
  return ctx.rng.range(r[0], r[1]);
}

/**
 * Schedules the supervisor's polling of its devices from time 0 to `endSec`. Long-lived
 * connections mostly began before the capture (joined mid-stream), as on a real LAN.
 */
export function schedulePolling(ctx: CaptureContext, spec: PollingSpec, endSec: number): void {
  const rng = ctx.rng;
  const hosts = ctx.net.hosts;
  const supervisor = hosts[0];
  const devices = hosts.slice(1, 1 + Math.max(1, Math.min(spec.devices, hosts.length - 1)));
  const table = spec.profile === 'industrial' ? INDUSTRIAL : MONITORING;
  const weights = table.map(([w]) => w);
  const snmpPort = ephemeralPort(ctx, supervisor);
  for (const device of devices) {
    const proto = table[rng.weighted(weights)][1];
    const reconnect = !proto.udp && rng.chance(proto.reconnect);
    const range = reconnect ? proto.reconnectPeriod ?? proto.period : proto.period;
    const plc = spec.profile === 'industrial';
    const poll: Poll = {
      proto, period: logUniform(ctx, range[0], range[1]), perCycle: between(ctx, proto.perCycle),
      device: { mac: device.mac, ip: device.ip, ttl: plc ? rng.pick(PLC_TTLS) : device.ttl },
      window: plc ? rng.pick(PLC_WINDOWS) : undefined,
    };
    const first = rng.next() * Math.min(poll.period, endSec);
    if (proto.udp) pollUdp(ctx, supervisor, device, poll, first, endSec, snmpPort);
    else if (reconnect) pollPerConnection(ctx, supervisor, poll, first, endSec);
    else pollPersistent(ctx, supervisor, poll, first, endSec);
  }
}

/** How one device is polled: its protocol, period and transactions per cycle, fixed as a poller's configuration is; and the device's own stack. */
interface Poll {
  proto: PolledProtocol;
  period: number;
  perCycle: number;
  device: Endpoint4;
  /** A PLC's small fixed receive window, no TCP options; undefined for ordinary hosts (monitored servers and PCs). */
  window?: number;
}

/**
 * Controllers run embedded stacks, not a desktop OS: their initial TTLs (Siemens 30, others 60,
 * 64, 255) and small fixed windows differ from the LAN's PCs.
 */
const PLC_TTLS = [30, 60, 64, 128, 255];
const PLC_WINDOWS = [2048, 4096, 5840, 8192];

/** Device response time: a PLC answers within its scan cycle (1–10 ms). */
function answerDelay(ctx: CaptureContext): number {
  return Math.min(0.01, 0.0005 + ctx.rng.exp(1 / 0.003));
}

/**
 * One cycle's transactions as TCP messages; the first waits `gap`. Returns the time the cycle
 * takes as planTcpFlow lays it out (each answer one round trip and the device's delay after
 * its request), so the next cycle can start one period after this one.
 */
function cycleMessages(ctx: CaptureContext, poll: Poll, gap: number, rtt: number, out: TcpMessage[]): number {
  const { proto } = poll;
  let took = 0;
  for (let i = 0; i < poll.perCycle; i++) {
    const req = proto.request[1] > 0 ? ctx.randomBytes(between(ctx, proto.request)) : httpRequest('metrics.lan', '/metrics', 'Prometheus/2.53.0');
    const delay = answerDelay(ctx);
    const next = i === 0 ? 0 : 0.0002;
    out.push({ fromClient: true, data: req, gap: i === 0 ? gap : next });
    out.push({ fromClient: false, data: ctx.randomBytes(between(ctx, proto.response)), gap: delay });
    took += next + delay + rtt;
    if (proto.followUp > 0) {
      out.push({ fromClient: true, data: ctx.randomBytes(proto.followUp), gap: 0.0001 });
      took += 0.0001;
    }
  }
  return took;
}

/** A poller's timer: the period with a little jitter (a timer, not a person). */
function tick(ctx: CaptureContext, period: number): number {
  return period * (0.995 + 0.01 * ctx.rng.next());
}

/** One connection for the whole capture, a cycle every period. */
function pollPersistent(ctx: CaptureContext, sup: LanHost, poll: Poll, first: number, endSec: number): void {
  const rng = ctx.rng;
  const rtt = 0.0002 + rng.next() * 0.0008;
  const messages: TcpMessage[] = [];
  let took = 0;
  for (let t = first; t < endSec; ) {
    const next = tick(ctx, poll.period);
    took = cycleMessages(ctx, poll, messages.length === 0 ? 0 : Math.max(0.0001, next - took), rtt, messages);
    t += next;
  }
  const steps = planTcpFlow(ctx, {
    client: hostEndpoint(sup),
    server: poll.device,
    cport: ephemeralPort(ctx, sup),
    sport: poll.proto.port,
    start: first,
    rtt,
    messages,
    close: 'none',
    joined: rng.chance(0.7),
    embeddedServerWindow: poll.window,
  });
  play(ctx, steps, null);
}

/** A new connection every cycle (simple masters, metric scrapes), closed by the client. */
function pollPerConnection(ctx: CaptureContext, sup: LanHost, poll: Poll, first: number, endSec: number): void {
  const rng = ctx.rng;
  for (let t = first; t < endSec; t += tick(ctx, poll.period)) {
    const rtt = 0.0002 + rng.next() * 0.0008;
    const messages: TcpMessage[] = [];
    cycleMessages(ctx, poll, 0.0001, rtt, messages);
    play(ctx, planTcpFlow(ctx, {
      client: hostEndpoint(sup),
      server: poll.device,
      cport: ephemeralPort(ctx, sup),
      sport: poll.proto.port,
      start: t,
      rtt,
      messages,
      close: 'client-fin',
      embeddedServerWindow: poll.window,
    }), null);
  }
}

/** Datagram polls (SNMP) from the supervisor's one socket. */
function pollUdp(ctx: CaptureContext, sup: LanHost, dev: LanHost, poll: Poll, first: number, endSec: number, sport: number): void {
  const rng = ctx.rng;
  const { proto } = poll;
  const steps: ScriptStep[] = [];
  const out = hop4(sup.mac, dev.mac, sup.ip, dev.ip, sup.ttl, rng.int(65536));
  const back = hop4(dev.mac, sup.mac, dev.ip, sup.ip, poll.device.ttl, rng.int(65536));
  for (let t = first; t < endSec; t += tick(ctx, poll.period)) {
    let at = t;
    for (let i = 0; i < poll.perCycle; i++) {
      const req = ctx.randomBytes(between(ctx, proto.request));
      const resp = ctx.randomBytes(between(ctx, proto.response));
      const answered = at + answerDelay(ctx);
      steps.push(udp4Step(at, out, sport, proto.port, (b, o) => { out.ipId = (out.ipId + 1) & 0xffff; b.set(req, o); return req.length; }));
      steps.push(udp4Step(answered, back, proto.port, sport, (b, o) => { back.ipId = (back.ipId + 1) & 0xffff; b.set(resp, o); return resp.length; }));
      at = answered + 0.0005;
    }
  }
  play(ctx, steps, null);
}
