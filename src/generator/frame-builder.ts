/**
 * Writes whole Ethernet frames (Ethernet/IPv4/IPv6/TCP/UDP/ICMP/ICMPv6/ARP) into a caller's
 * scratch buffer with correct lengths and checksums, so tshark decodes them cleanly.
 * Addresses are pre-packed (IPv4 as uint32, IPv6 and MACs as bytes): no string parsing per packet.
 */
export type Mac = Uint8Array; // 6 bytes
export type Ip6 = Uint8Array; // 16 bytes

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;

const ETH_LEN = 14;
const MIN_FRAME = 60; // Ethernet minimum without FCS: short frames carry a zero trailer on the wire

/** Endpoint of an IPv4 packet as seen on the LAN: L2 next hop and L3 address. */
export interface V4Hop {
  srcMac: Mac;
  dstMac: Mac;
  srcIp: number;
  dstIp: number;
  ttl: number;
  ipId: number;
}

export interface V6Hop {
  srcMac: Mac;
  dstMac: Mac;
  srcIp: Ip6;
  dstIp: Ip6;
  hopLimit: number;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
let cachedBuf: Uint8Array | null = null;
let cachedU16: Uint16Array | null = null;

/**
 * One's-complement sum of 16-bit big-endian words (not yet folded/inverted).
 * Fast path: add native 16-bit words and swap the folded result; the one's-complement sum is
 * byte-order independent (RFC 1071 §2(B)), and this halves the cost of checksumming full segments.
 */
export function sum16(b: Uint8Array, off: number, len: number, acc = 0): number {
  if (LITTLE_ENDIAN && ((b.byteOffset | off) & 1) === 0) {
    if (cachedBuf !== b) {
      cachedBuf = b;
      cachedU16 = new Uint16Array(b.buffer, b.byteOffset, b.byteLength >>> 1);
    }
    const u = cachedU16!;
    let s = 0;
    const first = off >>> 1;
    const end = first + (len >>> 1);
    for (let i = first; i < end; i++) s += u[i];
    if (len & 1) s += b[off + len - 1];
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return acc + (((s & 0xff) << 8) | (s >>> 8));
  }
  let s = acc;
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  return s;
}

export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function eth(b: Uint8Array, dst: Mac, src: Mac, type: number): void {
  b.set(dst, 0);
  b.set(src, 6);
  put16(b, 12, type);
}

function padFrame(b: Uint8Array, len: number): number {
  if (len >= MIN_FRAME) return len;
  b.fill(0, len, MIN_FRAME);
  return MIN_FRAME;
}

function ipv4Header(b: Uint8Array, h: V4Hop, proto: number, l4Len: number): void {
  const o = ETH_LEN;
  b[o] = 0x45;
  b[o + 1] = 0;
  put16(b, o + 2, 20 + l4Len);
  put16(b, o + 4, h.ipId & 0xffff);
  put16(b, o + 6, proto === PROTO_TCP ? 0x4000 : 0); // DF on TCP as Linux does
  b[o + 8] = h.ttl;
  b[o + 9] = proto;
  put16(b, o + 10, 0);
  put32(b, o + 12, h.srcIp);
  put32(b, o + 16, h.dstIp);
  put16(b, o + 10, fold(sum16(b, o, 20)));
}

function ipv6Header(b: Uint8Array, h: V6Hop, next: number, l4Len: number): void {
  const o = ETH_LEN;
  put32(b, o, 0x60000000);
  put16(b, o + 4, l4Len);
  b[o + 6] = next;
  b[o + 7] = h.hopLimit;
  b.set(h.srcIp, o + 8);
  b.set(h.dstIp, o + 24);
}

function pseudo4(h: V4Hop, proto: number, len: number): number {
  return (h.srcIp >>> 16) + (h.srcIp & 0xffff) + (h.dstIp >>> 16) + (h.dstIp & 0xffff) + proto + len;
}

function pseudo6(b: Uint8Array, next: number, len: number): number {
  // addresses were already written at 22..53
  return sum16(b, ETH_LEN + 8, 32) + len + next;
}

/**
 * TCP over IPv4. The payload must already sit at offset 54 + options.length (callers copy it
 * there via tcpPayloadOffset) so no intermediate buffer is needed.
 */
export function tcp4(b: Uint8Array, h: V4Hop, sport: number, dport: number, seq: number, ack: number, flags: number, win: number, options: Uint8Array | null, payloadLen: number): number {
  const optLen = options ? options.length : 0;
  const tcpLen = 20 + optLen + payloadLen;
  eth(b, h.dstMac, h.srcMac, ETH_IPV4);
  ipv4Header(b, h, PROTO_TCP, tcpLen);
  const o = ETH_LEN + 20;
  tcpHeader(b, o, sport, dport, seq, ack, flags, win, options);
  put16(b, o + 16, fold(sum16(b, o, tcpLen, pseudo4(h, PROTO_TCP, tcpLen))));
  return padFrame(b, o + tcpLen);
}

function tcpHeader(b: Uint8Array, o: number, sport: number, dport: number, seq: number, ack: number, flags: number, win: number, options: Uint8Array | null): void {
  const optLen = options ? options.length : 0;
  put16(b, o, sport);
  put16(b, o + 2, dport);
  put32(b, o + 4, seq >>> 0);
  put32(b, o + 8, ack >>> 0);
  b[o + 12] = ((20 + optLen) / 4) << 4;
  b[o + 13] = flags;
  put16(b, o + 14, win);
  put16(b, o + 16, 0);
  put16(b, o + 18, 0);
  if (options) b.set(options, o + 20);
}

/** Where the TCP/IPv4 payload goes for a given options length. */
export function tcp4PayloadOffset(optLen: number): number {
  return ETH_LEN + 20 + 20 + optLen;
}

export const UDP4_PAYLOAD = ETH_LEN + 20 + 8;
export const UDP6_PAYLOAD = ETH_LEN + 40 + 8;
export const ICMP4_PAYLOAD = ETH_LEN + 20 + 8;
export const ICMP6_BODY = ETH_LEN + 40 + 4;

/** UDP over IPv4; the payload is already at UDP4_PAYLOAD. */
export function udp4(b: Uint8Array, h: V4Hop, sport: number, dport: number, payloadLen: number): number {
  const udpLen = 8 + payloadLen;
  eth(b, h.dstMac, h.srcMac, ETH_IPV4);
  ipv4Header(b, h, PROTO_UDP, udpLen);
  const o = ETH_LEN + 20;
  put16(b, o, sport);
  put16(b, o + 2, dport);
  put16(b, o + 4, udpLen);
  put16(b, o + 6, 0);
  const c = fold(sum16(b, o, udpLen, pseudo4(h, PROTO_UDP, udpLen)));
  put16(b, o + 6, c === 0 ? 0xffff : c);
  return padFrame(b, o + udpLen);
}

/** UDP over IPv6; the payload is already at UDP6_PAYLOAD. */
export function udp6(b: Uint8Array, h: V6Hop, sport: number, dport: number, payloadLen: number): number {
  const udpLen = 8 + payloadLen;
  eth(b, h.dstMac, h.srcMac, ETH_IPV6);
  ipv6Header(b, h, PROTO_UDP, udpLen);
  const o = ETH_LEN + 40;
  put16(b, o, sport);
  put16(b, o + 2, dport);
  put16(b, o + 4, udpLen);
  put16(b, o + 6, 0);
  const c = fold(sum16(b, o, udpLen, pseudo6(b, PROTO_UDP, udpLen)));
  put16(b, o + 6, c === 0 ? 0xffff : c);
  return padFrame(b, o + udpLen);
}

/** ICMP echo (type 8/0) or other ICMP with a 4-byte rest-of-header; data already at ICMP4_PAYLOAD. */
export function icmp4(b: Uint8Array, h: V4Hop, type: number, code: number, restOfHeader: number, dataLen: number): number {
  const len = 8 + dataLen;
  eth(b, h.dstMac, h.srcMac, ETH_IPV4);
  ipv4Header(b, h, PROTO_ICMP, len);
  const o = ETH_LEN + 20;
  b[o] = type;
  b[o + 1] = code;
  put16(b, o + 2, 0);
  put32(b, o + 4, restOfHeader);
  put16(b, o + 2, fold(sum16(b, o, len)));
  return padFrame(b, o + len);
}

/** ICMPv6 message; its body (after type/code/checksum) is already at ICMP6_BODY. */
export function icmp6(b: Uint8Array, h: V6Hop, type: number, code: number, bodyLen: number): number {
  const len = 4 + bodyLen;
  eth(b, h.dstMac, h.srcMac, ETH_IPV6);
  ipv6Header(b, h, PROTO_ICMPV6, len);
  const o = ETH_LEN + 40;
  b[o] = type;
  b[o + 1] = code;
  put16(b, o + 2, 0);
  put16(b, o + 2, fold(sum16(b, o, len, pseudo6(b, PROTO_ICMPV6, len))));
  return padFrame(b, o + len);
}

/** ARP over Ethernet (op 1 request, 2 reply). */
export function arp(b: Uint8Array, ethDst: Mac, ethSrc: Mac, op: number, senderMac: Mac, senderIp: number, targetMac: Mac, targetIp: number): number {
  eth(b, ethDst, ethSrc, ETH_ARP);
  const o = ETH_LEN;
  put16(b, o, 1);
  put16(b, o + 2, ETH_IPV4);
  b[o + 4] = 6;
  b[o + 5] = 4;
  put16(b, o + 6, op);
  b.set(senderMac, o + 8);
  put32(b, o + 14, senderIp);
  b.set(targetMac, o + 18);
  put32(b, o + 24, targetIp);
  return padFrame(b, o + 28);
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v);
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  put32(b, o, v);
}
