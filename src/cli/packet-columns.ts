import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { formatEpoch } from '../capture/format-timestamp';

/** Header columns of `lln-detect features`, before the model's feature columns. */
export const PACKET_COLUMNS = [
  'frame', 'timestamp', 'link_type', 'src_mac', 'dst_mac', 'src_ip', 'dst_ip', 'ip_proto', 'src_port', 'dst_port',
  'ttl', 'ip_len', 'frame_len', 'cap_len', 'tcp_flags', 'tcp_window', 'payload_len',
  'dns_valid', 'dns_qname', 'dns_qtype', 'dns_ancount', 'decode_error',
] as const;

const absent = (n: number): number | null => (n < 0 ? null : n);

/** One packet's decoded fields as a plain record (null = not present in this packet). */
export function packetColumns(p: DecodedPacket): Record<(typeof PACKET_COLUMNS)[number], string | number | boolean | null> {
  return {
    frame: p.frame,
    timestamp: formatEpoch(p.tsSec, p.tsNsec, p.tsDigits),
    link_type: p.linkType,
    src_mac: p.srcMac,
    dst_mac: p.dstMac,
    src_ip: p.srcIp,
    dst_ip: p.dstIp,
    ip_proto: absent(p.ipProto),
    src_port: absent(p.srcPort),
    dst_port: absent(p.dstPort),
    ttl: absent(p.ttl),
    ip_len: absent(p.ipTotalLen),
    frame_len: p.origLen,
    cap_len: p.capLen,
    tcp_flags: absent(p.tcpFlags),
    tcp_window: absent(p.tcpWindow),
    payload_len: absent(p.payloadLen),
    dns_valid: p.dns ? p.dns.valid : null,
    dns_qname: p.dns ? p.dns.qname : null,
    dns_qtype: p.dns ? p.dns.qtype : null,
    dns_ancount: p.dns ? p.dns.anCount : null,
    decode_error: p.error,
  };
}
