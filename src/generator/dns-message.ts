import { writeU16, writeU32 } from './frame-builder';

export const QTYPE_A = 1;
export const QTYPE_CNAME = 5;
export const QTYPE_TXT = 16;
export const QTYPE_AAAA = 28;

/** Encode a dotted name as DNS labels at `off`; returns the new offset. Labels are cut at 63 bytes. */
export function writeName(b: Uint8Array, off: number, name: string): number {
  let o = off;
  for (const label of name.split('.')) {
    if (label.length === 0) continue;
    const n = Math.min(63, label.length);
    b[o++] = n;
    for (let i = 0; i < n; i++) b[o++] = label.charCodeAt(i) & 0x7f;
  }
  b[o++] = 0;
  return o;
}

function header(b: Uint8Array, off: number, id: number, flags: number, qd: number, an: number, ar: number): number {
  writeU16(b, off, id);
  writeU16(b, off + 2, flags);
  writeU16(b, off + 4, qd);
  writeU16(b, off + 6, an);
  writeU16(b, off + 8, 0);
  writeU16(b, off + 10, ar);
  return off + 12;
}

/** EDNS(0) OPT record, 1232-byte UDP size: modern stub resolvers add it to every query. */
function writeOpt(b: Uint8Array, off: number): number {
  b[off] = 0;
  writeU16(b, off + 1, 41);
  writeU16(b, off + 3, 1232);
  writeU32(b, off + 5, 0);
  writeU16(b, off + 9, 0);
  return off + 11;
}

/** A recursive query for `qname`; returns the message length. */
export function writeDnsQuery(b: Uint8Array, off: number, id: number, qname: string, qtype: number, edns: boolean): number {
  let o = header(b, off, id, 0x0100, 1, 0, edns ? 1 : 0);
  o = writeName(b, o, qname);
  writeU16(b, o, qtype);
  writeU16(b, o + 2, 1);
  o += 4;
  if (edns) o = writeOpt(b, o);
  return o - off;
}

export interface DnsAnswers {
  /** A answers (uint32 addresses). */
  a?: number[];
  /** AAAA answers (16-byte addresses). */
  aaaa?: Uint8Array[];
  /** TXT strings (each ≤ 255 bytes). */
  txt?: string[];
  /** Optional CNAME placed before the address answers. */
  cname?: string;
  ttl: number;
  rcode?: number;
}

/** The response to writeDnsQuery's message: question echoed, answers compressed against it. */
export function writeDnsResponse(b: Uint8Array, off: number, id: number, qname: string, qtype: number, ans: DnsAnswers, edns: boolean): number {
  const count = (ans.cname ? 1 : 0) + (ans.a?.length ?? 0) + (ans.aaaa?.length ?? 0) + (ans.txt ? 1 : 0);
  let o = header(b, off, id, 0x8180 | (ans.rcode ?? 0), 1, count, edns ? 1 : 0);
  o = writeName(b, o, qname);
  writeU16(b, o, qtype);
  writeU16(b, o + 2, 1);
  o += 4;
  // Pointer to the question name (offset 12 in the message) or to the CNAME target.
  let ownerPtr = 0xc000 | 12;
  const rr = (type: number): number => {
    writeU16(b, o, ownerPtr);
    writeU16(b, o + 2, type);
    writeU16(b, o + 4, 1);
    writeU32(b, o + 6, ans.ttl);
    return o + 10; // rdlength at o+10, rdata at o+12
  };
  if (ans.cname) {
    const rd = rr(QTYPE_CNAME);
    const end = writeName(b, rd + 2, ans.cname);
    writeU16(b, rd, end - rd - 2);
    ownerPtr = 0xc000 | (rd + 2 - off);
    o = end;
  }
  for (const a of ans.a ?? []) {
    const rd = rr(QTYPE_A);
    writeU16(b, rd, 4);
    writeU32(b, rd + 2, a);
    o = rd + 6;
  }
  for (const a of ans.aaaa ?? []) {
    const rd = rr(QTYPE_AAAA);
    writeU16(b, rd, 16);
    b.set(a, rd + 2);
    o = rd + 18;
  }
  if (ans.txt) {
    const rd = rr(QTYPE_TXT);
    let p = rd + 2;
    for (const s of ans.txt) {
      const n = Math.min(255, s.length);
      b[p++] = n;
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i) & 0x7f;
    }
    writeU16(b, rd, p - rd - 2);
    o = p;
  }
  if (edns) o = writeOpt(b, o);
  return o - off;
}
