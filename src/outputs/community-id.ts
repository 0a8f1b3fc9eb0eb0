import { createHash } from 'node:crypto';

/**
 * Community ID v1 flow hash (corelight/community-id-spec), so an anomaly row can be joined
 * with Zeek conn.log, Suricata EVE or Arkime sessions by one string.
 *
 * sha1( seed:u16be | addrA | addrB | proto:u8 | 0:u8 | portA:u16be | portB:u16be ), base64,
 * prefixed "1:". The endpoint pair is ordered so both directions of a flow hash alike:
 * (addr, port) of A is the smaller, addresses compared byte-wise in network order. ICMP and
 * ICMPv6 use type/code as ports; for types with a request/reply counterpart the "ports" are
 * (type, counterpart type) so request and reply match, other types are one-way (not ordered).
 * Protocols without ports, and packets whose ports are missing (non-first fragments), hash the
 * addresses and protocol only.
 */

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_SCTP = 132;

/** ICMP type -> counterpart type (echo, router, timestamp, info, address mask). */
const ICMP4_COUNTERPART = new Map<number, number>([
  [8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17],
]);
/** ICMPv6: echo, MLD query/report, router/neighbor solicit/advert, who-are-you, home agent discovery. */
const ICMP6_COUNTERPART = new Map<number, number>([
  [128, 129], [129, 128], [130, 131], [131, 130], [133, 134], [134, 133], [135, 136], [136, 135],
  [139, 140], [140, 139], [144, 145], [145, 144],
]);

/**
 * Community ID of a packet's flow, or null when the addresses are not both IPv4 or both IPv6.
 * For ICMP/ICMPv6 pass the type as srcPort and the code as dstPort.
 */
export function communityId(
  proto: number,
  srcIp: string,
  dstIp: string,
  srcPort: number | null,
  dstPort: number | null,
  seed = 0,
): string | null {
  const a = parseIp(srcIp);
  const b = parseIp(dstIp);
  if (a === null || b === null || a.length !== b.length) return null;
  const portProto = proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP;
  const isIcmp = (proto === IPPROTO_ICMP && a.length === 4) || (proto === IPPROTO_ICMPV6 && a.length === 16);
  let pa = srcPort ?? -1;
  let pb = dstPort ?? -1;
  // Ports (or ICMP type/code) missing, as in a non-first fragment: hash without them, as
  // Wireshark and the reference implementations do.
  const withPorts = (portProto || isIcmp) && pa >= 0 && pb >= 0 && pa <= 0xffff && pb <= 0xffff;
  let oneWay = false;
  if (withPorts && isIcmp) {
    const counterpart = (proto === IPPROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART).get(pa);
    if (counterpart === undefined) oneWay = true;
    else pb = counterpart;
  }
  let first = a;
  let second = b;
  if (!oneWay) {
    const c = compareBytes(a, b);
    if (c > 0 || (c === 0 && withPorts && pa > pb)) {
      first = b;
      second = a;
      const t = pa;
      pa = pb;
      pb = t;
    }
  }
  const buf = Buffer.alloc(2 + first.length * 2 + 2 + (withPorts ? 4 : 0));
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  buf.set(first, o);
  o += first.length;
  buf.set(second, o);
  o += second.length;
  buf[o++] = proto & 0xff;
  buf[o++] = 0;
  if (withPorts) {
    o = buf.writeUInt16BE(pa & 0xffff, o);
    buf.writeUInt16BE(pb & 0xffff, o);
  }
  return '1:' + createHash('sha1').update(buf).digest('base64');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** IPv4 dotted quad -> 4 bytes, IPv6 (with ::, zone id, embedded IPv4) -> 16 bytes, else null. */
export function parseIp(text: string): Uint8Array | null {
  if (text.includes(':')) return parseIpv6(text);
  return parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const v = Number(parts[i]);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = all[i] >> 8;
    out[i * 2 + 1] = all[i] & 0xff;
  }
  return out;
}
