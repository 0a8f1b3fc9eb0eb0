/**
 * A packet's headers, decoded as far as the bytes allow. Flat, numeric where it can be
 * (-1 / null = absent), so the feature extractor reads it without allocation.
 */
export interface DnsInfo {
  /** True when the payload parsed as a DNS message (header + first question). */
  valid: boolean;
  id: number;
  isResponse: boolean;
  opcode: number;
  rcode: number;
  qdCount: number;
  anCount: number;
  /** First question name in dotted form ('' when absent or unparsable). */
  qname: string;
  qtype: number;
}

export type L3Kind = 'ipv4' | 'ipv6' | 'arp' | 'other' | 'none';

/** Stable decode-problem codes (Zeek "weirds"). A packet keeps the first one seen. */
export type DecodeErrorCode =
  | 'unknown_link_type'
  | 'truncated_link'
  | 'truncated_vlan'
  | 'truncated_ipv4'
  | 'bad_ipv4_header'
  | 'truncated_ipv6'
  | 'bad_ipv6_ext'
  | 'truncated_tcp'
  | 'bad_tcp_offset'
  | 'truncated_udp'
  | 'bad_udp_length'
  | 'truncated_icmp'
  | 'truncated_arp'
  | 'ip_length_mismatch';

export interface DecodedPacket {
  frame: number;
  tsSec: number;
  tsNsec: number;
  tsDigits: number;
  /** Capture time in epoch seconds as a double (µs-exact for current dates). */
  ts: number;
  linkType: number;
  interfaceId: number;
  source: string;
  capLen: number;
  origLen: number;

  srcMac: string | null;
  dstMac: string | null;
  /** Number of 802.1Q/802.1ad tags; first (outer) VLAN id or -1. */
  vlanCount: number;
  vlanId: number;
  /** Ethertype of the network layer (after VLAN tags), -1 if none. */
  etherType: number;

  l3: L3Kind;
  srcIp: string | null;
  dstIp: string | null;
  /** IPv4 source / destination as numbers in [0, 2^32), -1 if not IPv4 (the context tables key hosts by them). */
  srcIpv4: number;
  dstIpv4: number;
  /** IPv4 protocol / IPv6 final next-header; -1 if not IP. */
  ipProto: number;
  /** TTL or hop limit; -1 if not IP. */
  ttl: number;
  /** IPv4 total length or IPv6 40 + payload length; -1 if not IP. */
  ipTotalLen: number;
  /** IPv4 IHL*4 or 40 + extension headers; -1 if not IP. */
  ipHeaderLen: number;
  ipOptionsLen: number;
  /** IPv4 DF/MF flags, fragment offset in bytes (IPv6: from the fragment header). */
  ipDf: boolean;
  ipMf: boolean;
  fragOffset: number;
  ipv6ExtCount: number;

  srcPort: number;
  dstPort: number;
  /** TCP flag byte (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128); -1 if not TCP. */
  tcpFlags: number;
  tcpWindow: number;
  tcpHeaderLen: number;
  tcpOptionsLen: number;
  tcpSeq: number;
  tcpAck: number;

  icmpType: number;
  icmpCode: number;

  /** ARP opcode (1 request, 2 reply), -1 if not ARP; sender/target protocol addresses. */
  arpOp: number;
  arpSenderIp: string | null;
  arpTargetIp: string | null;
  /** ARP sender / target IPv4 as numbers in [0, 2^32), -1 if none. */
  arpSenderIpv4: number;
  arpTargetIpv4: number;
  arpSenderMac: string | null;

  /** Transport payload length as the headers claim it (bounded by IP length), -1 if unknown. */
  payloadLen: number;
  /** Offset of the transport payload in the captured bytes, -1 if none captured. */
  payloadOffset: number;

  /** DNS header info when src or dst port is 53/5353/5355 (UDP or TCP); null otherwise. */
  dns: DnsInfo | null;

  /** First decode problem, or null if everything decoded. */
  error: DecodeErrorCode | null;
}
