/**
 * Byte-exact frame construction for decoder tests: each function returns the bytes of one
 * header plus its payload, so a test composes ethernet(ipv4(tcp(...))) and states every field
 * it checks. Checksums are left zero: the decoder does not verify them.
 */
import type { RawPacket } from '../../src/capture/raw-packet';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

function be16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => parseInt(h, 16));
}

export function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map((n) => Number(n));
}

/** Parse any textual IPv6 form ('::' anywhere, no embedded IPv4) into 16 bytes. */
export function ipv6Bytes(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  const groups = [...h, ...zeros, ...t].map((g) => parseInt(g, 16));
  if (groups.length !== 8) throw new Error(`bad IPv6 literal ${ip}`);
  return groups.flatMap(be16);
}

export interface VlanTag { tpid?: number; id: number; pcp?: number }

export function ethernet(o: { src?: string; dst?: string; vlans?: VlanTag[]; type: number; payload: Uint8Array }): Uint8Array {
  const head = [...macBytes(o.dst ?? '02:00:00:00:00:02'), ...macBytes(o.src ?? '02:00:00:00:00:01')];
  for (const v of o.vlans ?? []) head.push(...be16(v.tpid ?? 0x8100), ...be16(((v.pcp ?? 0) << 13) | v.id));
  head.push(...be16(o.type));
  return concat(Uint8Array.from(head), o.payload);
}

export interface Ipv4Opts {
  src: string; dst: string; proto: number; payload: Uint8Array;
  ttl?: number; id?: number; df?: boolean; mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** Raw option bytes; padded to a multiple of 4 with End-of-List. */
  options?: Uint8Array;
  /** Override the total length field (default: header + payload). */
  totalLen?: number;
  /** Override the IHL nibble (in 32-bit words). */
  ihlWords?: number;
}

export function ipv4(o: Ipv4Opts): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const optPadded = concat(opt, new Uint8Array((4 - (opt.length % 4)) % 4));
  const headerLen = 20 + optPadded.length;
  const flags = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) / 8);
  const head = [
    0x40 | (o.ihlWords ?? headerLen / 4), 0, ...be16(o.totalLen ?? headerLen + o.payload.length),
    ...be16(o.id ?? 1), ...be16(flags), o.ttl ?? 64, o.proto, 0, 0,
    ...ipv4Bytes(o.src), ...ipv4Bytes(o.dst),
  ];
  return concat(Uint8Array.from(head), optPadded, o.payload);
}

export type Ipv6Ext =
  | { type: 0 | 43 | 60; len8?: number } // hop-by-hop / routing / destination options; len8 = extra 8-byte units
  | { type: 44; fragOffset: number; mf: boolean; id?: number }
  | { type: 51; len4?: number }; // AH; len4 = payload length field ((total/4) - 2)

export function ipv6(o: {
  src: string; dst: string; nextHeader: number; payload: Uint8Array;
  hopLimit?: number; ext?: Ipv6Ext[]; payloadLen?: number;
}): Uint8Array {
  const exts = o.ext ?? [];
  const extBytes: Uint8Array[] = exts.map((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1].type : o.nextHeader;
    if (e.type === 44) return Uint8Array.from([next, 0, ...be16(e.fragOffset | (e.mf ? 1 : 0)), ...be32(e.id ?? 7)]);
    if (e.type === 51) {
      const len4 = e.len4 ?? 4; // 24 bytes: 12 fixed + 12 ICV
      const b = new Uint8Array((len4 + 2) * 4);
      b[0] = next;
      b[1] = len4;
      return b;
    }
    const len8 = e.len8 ?? 0;
    const b = new Uint8Array((len8 + 1) * 8);
    b[0] = next;
    b[1] = len8;
    b[2] = 1; // a PadN option keeps the header well-formed
    b[3] = b.length - 4;
    return b;
  });
  const body = concat(...extBytes, o.payload);
  const first = exts.length ? exts[0].type : o.nextHeader;
  const head = [0x60, 0, 0, 0, ...be16(o.payloadLen ?? body.length), first, o.hopLimit ?? 64, ...ipv6Bytes(o.src), ...ipv6Bytes(o.dst)];
  return concat(Uint8Array.from(head), body);
}

export function tcp(o: {
  sport: number; dport: number; seq?: number; ack?: number; flags?: number; window?: number;
  options?: Uint8Array; payload?: Uint8Array; dataOffsetWords?: number;
}): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const optPadded = concat(opt, new Uint8Array((4 - (opt.length % 4)) % 4));
  const words = o.dataOffsetWords ?? (20 + optPadded.length) / 4;
  const head = [
    ...be16(o.sport), ...be16(o.dport), ...be32(o.seq ?? 0), ...be32(o.ack ?? 0),
    words << 4, o.flags ?? 0x10, ...be16(o.window ?? 65535), 0, 0, 0, 0,
  ];
  return concat(Uint8Array.from(head), optPadded, o.payload ?? new Uint8Array(0));
}

export function udp(o: { sport: number; dport: number; payload?: Uint8Array; length?: number }): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  return concat(Uint8Array.from([...be16(o.sport), ...be16(o.dport), ...be16(o.length ?? 8 + payload.length), 0, 0]), payload);
}

export function icmp(o: { type: number; code?: number; payload?: Uint8Array }): Uint8Array {
  return concat(Uint8Array.from([o.type, o.code ?? 0, 0, 0, 0, 0, 0, 0]), o.payload ?? new Uint8Array(0));
}

export function arp(o: { op: number; senderMac: string; senderIp: string; targetMac?: string; targetIp: string }): Uint8Array {
  return Uint8Array.from([
    0, 1, 8, 0, 6, 4, ...be16(o.op),
    ...macBytes(o.senderMac), ...ipv4Bytes(o.senderIp),
    ...macBytes(o.targetMac ?? '00:00:00:00:00:00'), ...ipv4Bytes(o.targetIp),
  ]);
}

/** A domain name as uncompressed labels ending with the root label. */
export function dnsName(name: string): Uint8Array {
  const out: number[] = [];
  for (const label of name.split('.').filter((l) => l.length > 0)) out.push(label.length, ...Buffer.from(label, 'latin1'));
  out.push(0);
  return Uint8Array.from(out);
}

/** A compression pointer to `offset` within the DNS message. */
export function dnsPointer(offset: number): Uint8Array {
  return bytes(0xc0 | (offset >> 8), offset & 0xff);
}

export function dnsHeader(o: { id: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): Uint8Array {
  return Uint8Array.from([...be16(o.id), ...be16(o.flags ?? 0x0100), ...be16(o.qd ?? 1), ...be16(o.an ?? 0), ...be16(o.ns ?? 0), ...be16(o.ar ?? 0)]);
}

/** A one-question query: header + name + qtype + class IN. */
export function dnsQuery(o: { id: number; name: string; qtype: number; flags?: number }): Uint8Array {
  return concat(dnsHeader({ id: o.id, flags: o.flags }), dnsName(o.name), Uint8Array.from([...be16(o.qtype), 0, 1]));
}

/** DNS over TCP: the 2-byte length prefix. */
export function tcpDnsFraming(msg: Uint8Array): Uint8Array {
  return concat(Uint8Array.from(be16(msg.length)), msg);
}

/** Linux cooked v1 header (sender MAC) + payload. */
export function sll(o: { protocol: number; src?: string; haType?: number; payload: Uint8Array }): Uint8Array {
  const addr = [...macBytes(o.src ?? '02:00:00:00:00:01'), 0, 0];
  return concat(Uint8Array.from([0, 0, ...be16(o.haType ?? 1), 0, 6, ...addr, ...be16(o.protocol)]), o.payload);
}

/** Linux cooked v2 header (sender MAC) + payload. */
export function sll2(o: { protocol: number; src?: string; haType?: number; payload: Uint8Array }): Uint8Array {
  const addr = [...macBytes(o.src ?? '02:00:00:00:00:01'), 0, 0];
  return concat(Uint8Array.from([...be16(o.protocol), 0, 0, 0, 0, 0, 2, ...be16(o.haType ?? 1), 0, 6, ...addr]), o.payload);
}

/** BSD loopback header: the address family as 4 bytes in the given byte order. */
export function loopback(af: number, bigEndian: boolean, payload: Uint8Array): Uint8Array {
  const b = bigEndian ? be32(af) : be32(af).reverse();
  return concat(Uint8Array.from(b), payload);
}

/** PPPoE session header + PPP protocol field + payload. */
export function pppoeSession(pppProtocol: number, payload: Uint8Array, sessionId = 0x1234): Uint8Array {
  return concat(Uint8Array.from([0x11, 0x00, ...be16(sessionId), ...be16(payload.length + 2), ...be16(pppProtocol)]), payload);
}

/** Wrap bytes as a RawPacket; origLen defaults to the byte count (no snaplen cut). */
export function rawPacket(data: Uint8Array, linkType = 1, o: { origLen?: number; frame?: number; tsSec?: number; tsNsec?: number } = {}): RawPacket {
  return {
    frame: o.frame ?? 1, tsSec: o.tsSec ?? 1_700_000_000, tsNsec: o.tsNsec ?? 0, tsDigits: 9,
    capLen: data.length, origLen: o.origLen ?? data.length, linkType, interfaceId: 0, data, source: 'frame-builder',
  };
}
