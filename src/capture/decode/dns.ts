import type { DnsInfo } from './decoded-packet';
import { lastDnsName, readDnsName } from './dns-name';
import { u16 } from './new-packet';

const HEADER_LEN = 12;
const MIN_QUESTION_LEN = 5; // root name + type + class
const MIN_RR_LEN = 11; // root name + type + class + ttl + rdlength
const MAX_QUESTIONS = 32;

function emptyDnsInfo(): DnsInfo {
  return { valid: false, id: -1, isResponse: false, opcode: -1, rcode: -1, qdCount: -1, anCount: -1, qname: '', qtype: -1 };
}

/**
 * DNS over TCP: a 2-byte length prefix, then the message. Only a segment that starts a
 * message is parsed; a segment with < 2 payload bytes (a bare ACK) is not DNS at all (null).
 * An implausible prefix (shorter than a header) gives valid=false.
 */
export function decodeDnsOverTcp(d: Uint8Array, start: number, capEnd: number, payloadLen: number): DnsInfo | null {
  if (payloadLen < 2) return null;
  if (start + 2 > capEnd) return emptyDnsInfo();
  const msgLen = u16(d, start);
  if (msgLen < HEADER_LEN) return emptyDnsInfo();
  return parseDnsMessage(d, start + 2, Math.min(capEnd, start + 2 + msgLen), msgLen);
}

/**
 * Parse the header and the first question (or, for an mDNS-style response with no question,
 * the first answer's owner name and type). `msgLen` is the length the transport claims; the
 * bytes in [start, capEnd) are what was captured. valid = true only when the header is
 * plausible (known opcode, Z bit clear, counts that fit in msgLen) and the name and type parse.
 */
export function parseDnsMessage(d: Uint8Array, start: number, capEnd: number, msgLen: number): DnsInfo {
  const info = emptyDnsInfo();
  if (start + HEADER_LEN > capEnd || msgLen < HEADER_LEN) return info;
  const flags = u16(d, start + 2);
  info.id = u16(d, start);
  info.isResponse = (flags & 0x8000) !== 0;
  info.opcode = (flags >> 11) & 0x0f;
  info.rcode = flags & 0x0f;
  info.qdCount = u16(d, start + 4);
  info.anCount = u16(d, start + 6);
  const otherCount = info.anCount + u16(d, start + 8) + u16(d, start + 10);

  const opcodeKnown = info.opcode <= 6 && info.opcode !== 3;
  const zClear = (flags & 0x0040) === 0;
  const fits = info.qdCount * MIN_QUESTION_LEN + otherCount * MIN_RR_LEN <= msgLen - HEADER_LEN;
  const hasRecord = info.qdCount > 0 || (info.isResponse && otherCount > 0);
  if (!opcodeKnown || !zClear || !fits || !hasRecord || info.qdCount > MAX_QUESTIONS) return info;

  const nameEnd = readDnsName(d, start, start + HEADER_LEN, capEnd);
  if (nameEnd < 0 || nameEnd + 4 > capEnd) return info;
  info.qname = lastDnsName();
  info.qtype = u16(d, nameEnd);
  info.valid = true;
  return info;
}
