import type { CaptureContext } from './capture-context';
import { Mac, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, V4Hop, tcp4, tcp4PayloadOffset } from './frame-builder';
import type { ScriptStep } from './script-actor';

/** One side of a TCP conversation as the LAN capture point sees it. */
export interface Endpoint4 {
  /** MAC on the wire: the host's own, or the gateway's for remote machines. */
  mac: Mac;
  ip: number;
  /** TTL its packets carry at the capture point. */
  ttl: number;
}

export interface TcpMessage {
  fromClient: boolean;
  data: Uint8Array;
  /** Think time before the first segment (after the previous message was received). */
  gap: number;
}

export interface TcpFlowPlan {
  client: Endpoint4;
  server: Endpoint4;
  cport: number;
  sport: number;
  start: number;
  rtt: number;
  messages: TcpMessage[];
  /** Who ends the connection and how. 'refused' = RST/ACK answers the SYN. */
  close: 'client-fin' | 'server-fin' | 'client-rst' | 'refused' | 'none';
  /** Opened before the capture began: the capture point sees no handshake, only what follows it. */
  joined?: boolean;
  /** An embedded server's stack (a PLC's): its fixed receive window, and no TCP timestamps on the connection. */
  embeddedServerWindow?: number;
}

// MSS 1460, NOP, window scale, NOP, NOP, SACK permitted: what Linux/Windows SYNs carry.
const SYN_OPTS = Uint8Array.of(2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2);
const SYNACK_OPTS = Uint8Array.of(2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2);
const MSS = 1460;
// An embedded stack's SYN/ACK: the MSS and nothing else.
const MSS_ONLY_OPTS = Uint8Array.of(2, 4, 0x05, 0xb4);
// Linux-style SYNs with timestamps: MSS, SACK permitted, TS, NOP, window scale (20 bytes).
const SYN_TS_OPTS = Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7);

/** NOP NOP TS(tsval, tsecr): 12 option bytes on every segment of a timestamped connection. */
function timestampOption(tsval: number, tsecr: number): Uint8Array {
  const o = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0);
  new DataView(o.buffer).setUint32(4, tsval >>> 0);
  new DataView(o.buffer).setUint32(8, tsecr >>> 0);
  return o;
}

/**
 * Plans every frame of one TCP connection with consistent seq/ack numbers: handshake, the
 * messages segmented at the MSS with delayed ACKs every second segment, and the close.
 * The capture point sits on the client's LAN: a server's reaction shows up one RTT later.
 */
export function planTcpFlow(ctx: CaptureContext, p: TcpFlowPlan): ScriptStep[] {
  const rng = ctx.rng;
  const steps: ScriptStep[] = [];
  const c: V4Hop = { srcMac: p.client.mac, dstMac: p.server.mac, srcIp: p.client.ip, dstIp: p.server.ip, ttl: p.client.ttl, ipId: rng.int(65536) };
  const s: V4Hop = { srcMac: p.server.mac, dstMac: p.client.mac, srcIp: p.server.ip, dstIp: p.client.ip, ttl: p.server.ttl, ipId: rng.int(65536) };
  const cWin = 502 + rng.int(11) * 2;
  const drawnSWin = 501 + rng.int(20);
  // Most stacks (Linux, macOS) put timestamps on every segment, Windows by default does not.
  const drawnTimestamps = rng.chance(0.6);
  // Embedded stacks answer with a small fixed window and no options (drawn above all the same, so other flows keep their bytes).
  const sWin = p.embeddedServerWindow ?? drawnSWin;
  const timestamps = p.embeddedServerWindow === undefined && drawnTimestamps;
  const add = (t: number, fromClient: boolean, seq: number, ack: number, flags: number, win: number, optsIn: Uint8Array | null, data: Uint8Array | null, off: number, len: number): void => {
    let opts = optsIn;
    if (timestamps) {
      const tsval = Math.floor(t * 1000) + (fromClient ? 0 : 7_000_000);
      if (opts === SYN_OPTS || opts === SYNACK_OPTS) {
        opts = Uint8Array.from(SYN_TS_OPTS);
        new DataView(opts.buffer).setUint32(8, tsval >>> 0);
      } else if (opts === null) {
        opts = timestampOption(tsval, tsval - Math.floor(p.rtt * 1000) + (fromClient ? 7_000_000 : -7_000_000));
      }
    }
    steps.push({
      t,
      fn: (b) => {
        const hop = fromClient ? c : s;
        hop.ipId = (hop.ipId + 1) & 0xffff;
        if (len > 0 && data) b.set(data.subarray(off, off + len), tcp4PayloadOffset(opts ? opts.length : 0));
        return tcp4(b, hop, fromClient ? p.cport : p.sport, fromClient ? p.sport : p.cport, seq, ack, flags, win, opts, len);
      },
    });
  };
  let t = p.start;
  const isn = rng.u32();
  if (!p.joined) add(t, true, isn, 0, TCP_SYN, 64240, SYN_OPTS, null, 0, 0);
  if (p.close === 'refused') {
    add(t + p.rtt, false, 0, (isn + 1) >>> 0, TCP_RST | TCP_ACK, 0, null, null, 0, 0);
    return steps;
  }
  const sisn = rng.u32();
  let cNext = (isn + 1) >>> 0;
  let sNext = (sisn + 1) >>> 0;
  if (!p.joined) {
    t += p.rtt;
    if (p.embeddedServerWindow === undefined) add(t, false, sisn, (isn + 1) >>> 0, TCP_SYN | TCP_ACK, 65160, SYNACK_OPTS, null, 0, 0);
    else add(t, false, sisn, (isn + 1) >>> 0, TCP_SYN | TCP_ACK, p.embeddedServerWindow, MSS_ONLY_OPTS, null, 0, 0);
    t += 0.00004 + rng.exp(1 / 0.0001);
    add(t, true, cNext, sNext, TCP_ACK, cWin, null, null, 0, 0);
  }
  let prevFromClient = true;
  // The timestamp option takes 12 of the MSS's bytes: full segments stay 1514-byte frames.
  const segment = timestamps ? MSS - 12 : MSS;
  for (const m of p.messages) {
    // A server answer needs the request to travel there and the answer back: one RTT.
    t += m.gap + (!m.fromClient && prevFromClient ? p.rtt : 0);
    const n = m.data.length;
    let unacked = 0;
    for (let off = 0; off < n; off += segment) {
      const len = Math.min(segment, n - off);
      const last = off + len >= n;
      if (m.fromClient) {
        add(t, true, cNext, sNext, TCP_ACK | (last ? TCP_PSH : 0), cWin, null, m.data, off, len);
        cNext = (cNext + len) >>> 0;
      } else {
        add(t, false, sNext, cNext, TCP_ACK | (last ? TCP_PSH : 0), sWin, null, m.data, off, len);
        sNext = (sNext + len) >>> 0;
      }
      unacked++;
      if (unacked === 2 || last) {
        unacked = 0;
        // Receiver's (delayed) ACK: a remote receiver's ACK reaches us one RTT later.
        const ackT = m.fromClient ? t + p.rtt : t + 0.00003 + (last ? 0.0002 : 0);
        if (m.fromClient) add(ackT, false, sNext, cNext, TCP_ACK, sWin, null, null, 0, 0);
        else add(ackT, true, cNext, sNext, TCP_ACK, cWin, null, null, 0, 0);
      }
      // Serialization/pacing gap between back-to-back segments.
      t += m.fromClient ? 0.00002 + rng.next() * 0.00005 : (len * 8) / 80e6 + rng.next() * 0.0002;
    }
    prevFromClient = m.fromClient;
  }
  t += 0.001 + rng.exp(1 / 0.2);
  if (p.close === 'client-fin') {
    add(t, true, cNext, sNext, TCP_FIN | TCP_ACK, cWin, null, null, 0, 0);
    add(t + p.rtt, false, sNext, (cNext + 1) >>> 0, TCP_FIN | TCP_ACK, sWin, null, null, 0, 0);
    add(t + p.rtt + 0.00005, true, (cNext + 1) >>> 0, (sNext + 1) >>> 0, TCP_ACK, cWin, null, null, 0, 0);
  } else if (p.close === 'server-fin') {
    add(t, false, sNext, cNext, TCP_FIN | TCP_ACK, sWin, null, null, 0, 0);
    add(t + 0.0001, true, cNext, (sNext + 1) >>> 0, TCP_FIN | TCP_ACK, cWin, null, null, 0, 0);
    add(t + 0.0001 + p.rtt, false, (sNext + 1) >>> 0, (cNext + 1) >>> 0, TCP_ACK, sWin, null, null, 0, 0);
  } else if (p.close === 'client-rst') {
    add(t, true, cNext, sNext, TCP_RST | TCP_ACK, 0, null, null, 0, 0);
  }
  return steps;
}
