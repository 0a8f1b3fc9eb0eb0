import type { DecodedPacket } from './decoded-packet';
import { flag } from './new-packet';

/** ICMP / ICMPv6: type and code; the 8-byte header's rest is type-specific and not kept. */
export function decodeIcmp(p: DecodedPacket, d: Uint8Array, off: number, capEnd: number, declaredEnd: number): void {
  if (off + 2 <= capEnd) {
    p.icmpType = d[off];
    p.icmpCode = d[off + 1];
  }
  if (off + 8 > capEnd) {
    flag(p, 'truncated_icmp');
    return;
  }
  p.payloadLen = declaredEnd - off - 8;
  if (p.payloadLen > 0 && off + 8 < capEnd) p.payloadOffset = off + 8;
}
