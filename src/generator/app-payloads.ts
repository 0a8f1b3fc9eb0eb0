import { writeU16, writeU32 } from './frame-builder';

const enc = new TextEncoder();

export function ascii(s: string): Uint8Array {
  return enc.encode(s);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function httpRequest(host: string, path: string, userAgent: string): Uint8Array {
  return ascii(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${userAgent}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n`);
}

/** Response with an exact Content-Length so tshark's reassembly ends cleanly. */
export function httpResponse(bodyLen: number, filler: Uint8Array, contentType: string): Uint8Array {
  const head = ascii(`HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: ${contentType}\r\nContent-Length: ${bodyLen}\r\nCache-Control: max-age=3600\r\nConnection: keep-alive\r\n\r\n`);
  const body = new Uint8Array(bodyLen);
  for (let o = 0; o < bodyLen; o += filler.length) body.set(filler.subarray(0, Math.min(filler.length, bodyLen - o)), o);
  return concat([head, body]);
}

/** SSH binary packet (RFC 4253 §6) around `payload`, padded to a multiple of 8 with ≥ 4 bytes. */
function sshPacket(payload: Uint8Array): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const out = new Uint8Array(5 + payload.length + pad);
  writeU32(out, 0, 1 + payload.length + pad);
  out[4] = pad;
  out.set(payload, 5);
  return out;
}

function sshString(s: Uint8Array | string): Uint8Array {
  const b = typeof s === 'string' ? ascii(s) : s;
  const out = new Uint8Array(4 + b.length);
  writeU32(out, 0, b.length);
  out.set(b, 4);
  return out;
}

const KEX_LISTS = [
  'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256',
  'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512',
  'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr',
  'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr',
  'umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com',
  'umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com',
  'none,zlib@openssh.com',
  'none,zlib@openssh.com',
  '',
  '',
];

export function sshKexInit(cookie: Uint8Array): Uint8Array {
  const parts = [Uint8Array.of(20), cookie.subarray(0, 16), ...KEX_LISTS.map((l) => sshString(l)), Uint8Array.of(0, 0, 0, 0, 0)];
  return sshPacket(concat(parts));
}

export function sshEcdhInit(key: Uint8Array): Uint8Array {
  return sshPacket(concat([Uint8Array.of(30), sshString(key.subarray(0, 32))]));
}

export function sshEcdhReply(rnd: Uint8Array): Uint8Array {
  const hostKey = concat([sshString('ssh-ed25519'), sshString(rnd.subarray(0, 32))]);
  const sig = concat([sshString('ssh-ed25519'), sshString(rnd.subarray(32, 96))]);
  return concat([sshPacket(concat([Uint8Array.of(31), sshString(hostKey), sshString(rnd.subarray(96, 128)), sshString(sig)])), sshNewKeys()]);
}

export function sshNewKeys(): Uint8Array {
  return sshPacket(Uint8Array.of(21));
}

/** Encrypted SSH packets after NEWKEYS: opaque bytes with a plausible length. */
export function sshEncrypted(len: number, filler: Uint8Array): Uint8Array {
  return filler.slice(0, len);
}

/** NTPv4 client (mode 3) or server (mode 4) message, 48 bytes. */
export function ntpMessage(b: Uint8Array, off: number, server: boolean, epochSec: number, frac: number): number {
  b.fill(0, off, off + 48);
  b[off] = (4 << 3) | (server ? 4 : 3);
  const ntpSec = (epochSec + 2208988800) >>> 0;
  if (server) {
    b[off + 1] = 2; // stratum
    b[off + 2] = 6;
    b[off + 3] = 0xe9; // precision -23
    writeU32(b, off + 4, 0x00000120);
    writeU32(b, off + 8, 0x00000350);
    writeU32(b, off + 12, 0xc0a80001 ^ 0x5a5a5a5a);
    writeU32(b, off + 16, ntpSec - 30);
    writeU32(b, off + 24, ntpSec); // originate = client's transmit
    writeU32(b, off + 28, frac);
    writeU32(b, off + 32, ntpSec);
    writeU32(b, off + 36, (frac + 0x100000) >>> 0);
    writeU32(b, off + 40, ntpSec);
    writeU32(b, off + 44, (frac + 0x120000) >>> 0);
  } else {
    writeU32(b, off + 40, ntpSec);
    writeU32(b, off + 44, frac);
  }
  return 48;
}

export const DHCP_DISCOVER = 1;
export const DHCP_OFFER = 2;
export const DHCP_REQUEST = 3;
export const DHCP_ACK = 5;

/** A BOOTP/DHCP message (padded to the 300-byte BOOTP minimum as real clients do). */
export function dhcpMessage(b: Uint8Array, off: number, type: number, xid: number, clientMac: Uint8Array, yiaddr: number, serverIp: number, hostname: string): number {
  const reply = type === DHCP_OFFER || type === DHCP_ACK;
  b.fill(0, off, off + 300);
  b[off] = reply ? 2 : 1;
  b[off + 1] = 1;
  b[off + 2] = 6;
  writeU32(b, off + 4, xid);
  if (reply) writeU32(b, off + 16, yiaddr);
  if (reply) writeU32(b, off + 20, serverIp);
  b.set(clientMac, off + 28);
  writeU32(b, off + 236, 0x63825363);
  let o = off + 240;
  const opt = (code: number, data: number[]): void => {
    b[o++] = code;
    b[o++] = data.length;
    for (const x of data) b[o++] = x;
  };
  const ipBytes = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  opt(53, [type]);
  if (reply) {
    opt(54, ipBytes(serverIp));
    opt(51, [0, 1, 0x51, 0x80]);
    opt(1, [255, 255, 255, 0]);
    opt(3, ipBytes(serverIp));
    opt(6, ipBytes(serverIp));
  } else {
    opt(61, [1, ...clientMac]);
    if (type === DHCP_REQUEST) {
      opt(50, ipBytes(yiaddr));
      opt(54, ipBytes(serverIp));
    }
    opt(12, Array.from(ascii(hostname)));
    opt(55, [1, 3, 6, 15, 28, 42, 119]);
  }
  b[o++] = 255;
  return Math.max(300, o - off);
}

/** ICMPv6 Neighbor Solicitation/Advertisement body (after type/code/checksum). */
export function ndBody(b: Uint8Array, off: number, advert: boolean, target: Uint8Array, llAddr: Uint8Array): number {
  writeU32(b, off, advert ? 0x60000000 : 0); // NA: solicited + override
  b.set(target, off + 4);
  b[off + 20] = advert ? 2 : 1; // target / source link-layer address option
  b[off + 21] = 1;
  b.set(llAddr, off + 22);
  return 28;
}

export function writeAscii(b: Uint8Array, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[off + i] = s.charCodeAt(i) & 0xff;
  return s.length;
}

export { writeU16 };
