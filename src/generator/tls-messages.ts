import { writeU16 } from './frame-builder';

/**
 * TLS 1.3 handshake bytes, well-formed enough for tshark to dissect: a browser-sized
 * ClientHello with SNI, a ServerHello, and then opaque application_data records (in TLS 1.3
 * everything after ServerHello is encrypted, so random bytes are the realistic content).
 */
const CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

class ByteWriter {
  readonly b: Uint8Array;
  o = 0;
  constructor(size: number) {
    this.b = new Uint8Array(size);
  }
  u8(v: number): void {
    this.b[this.o++] = v;
  }
  u16(v: number): void {
    writeU16(this.b, this.o, v);
    this.o += 2;
  }
  bytes(src: Uint8Array): void {
    this.b.set(src, this.o);
    this.o += src.length;
  }
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.b[this.o++] = s.charCodeAt(i);
  }
  /** Reserve a length field of `size` bytes; call the returned function when the body is written. */
  len(size: 2 | 3): () => void {
    const at = this.o;
    this.o += size;
    return () => {
      const n = this.o - at - size;
      if (size === 3) this.b[at] = n >>> 16;
      writeU16(this.b, at + size - 2, n & 0xffff);
    };
  }
}

/** A ClientHello record (~517 bytes, as Chrome pads it). `rnd` supplies 32+32+32 random bytes. */
export function clientHello(sni: string, rnd: Uint8Array): Uint8Array {
  const w = new ByteWriter(600);
  w.u8(22);
  w.u16(0x0301);
  const rec = w.len(2);
  w.u8(1);
  const hs = w.len(3);
  w.u16(0x0303);
  w.bytes(rnd.subarray(0, 32));
  w.u8(32);
  w.bytes(rnd.subarray(32, 64));
  w.u16(CIPHERS.length * 2);
  for (const c of CIPHERS) w.u16(c);
  w.u8(1);
  w.u8(0);
  const exts = w.len(2);
  // server_name
  w.u16(0);
  const sn = w.len(2);
  const list = w.len(2);
  w.u8(0);
  w.u16(sni.length);
  w.ascii(sni);
  list();
  sn();
  // supported_groups: x25519, secp256r1, secp384r1
  w.u16(10);
  w.u16(8);
  w.u16(6);
  w.u16(0x001d);
  w.u16(0x0017);
  w.u16(0x0018);
  // ec_point_formats
  w.u16(11);
  w.u16(2);
  w.u8(1);
  w.u8(0);
  // signature_algorithms
  const sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
  w.u16(13);
  w.u16(2 + sigs.length * 2);
  w.u16(sigs.length * 2);
  for (const s of sigs) w.u16(s);
  // supported_versions: TLS 1.3, 1.2
  w.u16(43);
  w.u16(5);
  w.u8(4);
  w.u16(0x0304);
  w.u16(0x0303);
  // psk_key_exchange_modes
  w.u16(45);
  w.u16(2);
  w.u8(1);
  w.u8(1);
  // key_share: x25519
  w.u16(51);
  w.u16(38);
  w.u16(36);
  w.u16(0x001d);
  w.u16(32);
  w.bytes(rnd.subarray(64, 96));
  // padding up to a 512-byte handshake message
  const padTo = 512 + 4 + 5;
  const remaining = padTo - (w.o + 4);
  if (remaining >= 0) {
    w.u16(21);
    w.u16(remaining);
    w.o += remaining;
  }
  exts();
  hs();
  rec();
  return w.b.slice(0, w.o);
}

/** ServerHello + ChangeCipherSpec + encrypted flight (EncryptedExtensions, Certificate, ... as app data). */
export function serverFlight(rnd: Uint8Array, sessionId: Uint8Array, encryptedLen: number, filler: Uint8Array): Uint8Array {
  const w = new ByteWriter(200 + encryptedLen + 5 * Math.ceil(encryptedLen / 16384 + 1));
  w.u8(22);
  w.u16(0x0303);
  const rec = w.len(2);
  w.u8(2);
  const hs = w.len(3);
  w.u16(0x0303);
  w.bytes(rnd.subarray(0, 32));
  w.u8(32);
  w.bytes(sessionId);
  w.u16(0x1301);
  w.u8(0);
  const exts = w.len(2);
  w.u16(43);
  w.u16(2);
  w.u16(0x0304);
  w.u16(51);
  w.u16(36);
  w.u16(0x001d);
  w.u16(32);
  w.bytes(rnd.subarray(32, 64));
  exts();
  hs();
  rec();
  // change_cipher_spec (middlebox compatibility)
  w.u8(20);
  w.u16(0x0303);
  w.u16(1);
  w.u8(1);
  appendAppData(w, encryptedLen, filler);
  return w.b.slice(0, w.o);
}

/** Client's CCS + encrypted Finished. */
export function clientFinished(filler: Uint8Array): Uint8Array {
  const w = new ByteWriter(100);
  w.u8(20);
  w.u16(0x0303);
  w.u16(1);
  w.u8(1);
  appendAppData(w, 53, filler);
  return w.b.slice(0, w.o);
}

/** `len` bytes of ciphertext as application_data records of ≤ 16 KB each. */
export function appData(len: number, filler: Uint8Array): Uint8Array {
  const w = new ByteWriter(len + 5 * (Math.ceil(len / 16401) + 1));
  appendAppData(w, len, filler);
  return w.b.slice(0, w.o);
}

function appendAppData(w: ByteWriter, len: number, filler: Uint8Array): void {
  let left = Math.max(1, len);
  while (left > 0) {
    const n = Math.min(16401, left); // 16384 + 17 (tag and content type)
    w.u8(23);
    w.u16(0x0303);
    w.u16(n);
    for (let done = 0; done < n; ) {
      const k = Math.min(filler.length, n - done);
      w.b.set(filler.subarray(0, k), w.o);
      w.o += k;
      done += k;
    }
    left -= n;
  }
}
