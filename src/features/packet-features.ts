import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { charEntropy, dnsLabelCount } from './dns-name-stats';
import { FEATURE_INDEX as I } from './schema';
import { SERVICE_BASE, SERVICE_BY_PORT, isDnsPort } from './service-ports';

/**
 * The stateless part of the vector: what one packet's headers say on their own, as raw values
 * (the extractor applies the schema's transforms afterwards). Writes only non-zero columns: the
 * caller zeroes the row first. No addresses go in (they do not generalise across networks), and
 * no port numbers as magnitudes (only service and class).
 */
export function writePacketFeatures(p: DecodedPacket, out: Float64Array, o: number): void {
  out[o + I.frame_len] = nonNeg(p.origLen);
  const isIp = p.l3 === 'ipv4' || p.l3 === 'ipv6';
  const payload = p.payloadLen > 0 ? p.payloadLen : 0;
  if (isIp) {
    const ipLen = nonNeg(p.ipTotalLen);
    out[o + I.ip_len] = ipLen;
    out[o + I.payload_len] = payload;
    const header = p.payloadLen >= 0 ? ipLen - payload : nonNeg(p.ipHeaderLen);
    out[o + I.header_len] = header > 0 ? header : 0;
    out[o + I.ttl] = nonNeg(p.ttl);
    if (p.l3 === 'ipv6') out[o + I.is_ipv6] = 1;
    if (p.ipDf) out[o + I.ip_df] = 1;
    if (p.ipMf || p.fragOffset > 0) out[o + I.ip_fragment] = 1;
  }

  const proto = isIp ? p.ipProto : -1;
  if (proto === 6) out[o + I.proto_tcp] = 1;
  else if (proto === 17) out[o + I.proto_udp] = 1;
  else if (proto === 1) out[o + I.proto_icmp] = 1;
  else if (proto === 58) out[o + I.proto_icmpv6] = 1;
  else if (p.l3 === 'arp') out[o + I.proto_arp] = 1;
  else out[o + I.proto_other] = 1;

  if (p.tcpFlags >= 0) {
    const f = p.tcpFlags;
    // tcp_fin..tcp_cwr are consecutive columns in bit order (FIN=1 ... CWR=128).
    for (let b = 0; b < 8; b++) if (f & (1 << b)) out[o + I.tcp_fin + b] = 1;
    out[o + I.tcp_window] = nonNeg(p.tcpWindow);
    out[o + I.tcp_options_len] = nonNeg(p.tcpOptionsLen);
  }

  const hasPorts = (proto === 6 || proto === 17) && p.srcPort >= 0 && p.dstPort >= 0;
  if (hasPorts) {
    const sp = p.srcPort & 0xffff;
    const dp = p.dstPort & 0xffff;
    const s1 = SERVICE_BY_PORT[sp];
    const s2 = SERVICE_BY_PORT[dp];
    if (s1 !== 0) out[o + SERVICE_BASE + s1 - 1] = 1;
    if (s2 !== 0) out[o + SERVICE_BASE + s2 - 1] = 1;
    if (sp < 1024) out[o + I.src_port_wellknown] = 1;
    else if (sp >= 49152) out[o + I.src_port_ephemeral] = 1;
    if (dp < 1024) out[o + I.dst_port_wellknown] = 1;
    else if (dp >= 49152) out[o + I.dst_port_ephemeral] = 1;
    if ((isDnsPort(sp) || isDnsPort(dp)) && payload > 0 && p.payloadOffset >= 0 && p.payloadOffset < p.capLen) {
      if (p.dns === null || !p.dns.valid) out[o + I.dns_not_dns] = 1;
    }
  }

  const dns = p.dns;
  if (dns !== null && dns.valid && dns.qname.length > 0) {
    out[o + I.dns_qname_len] = dns.qname.length;
    out[o + I.dns_qname_labels] = dnsLabelCount(dns.qname);
    out[o + I.dns_qname_entropy] = charEntropy(dns.qname);
  }

  if (proto === 1 || proto === 58) {
    const t = p.icmpType;
    if (proto === 1 ? t === 0 || t === 8 : t === 128 || t === 129) out[o + I.icmp_echo] = 1;
    if (proto === 1 ? t === 3 || t === 4 || t === 5 || t === 11 || t === 12 : t >= 1 && t <= 4) out[o + I.icmp_error] = 1;
  }

  const err = p.error;
  if (err !== null) {
    if (err.startsWith('truncated_')) out[o + I.decode_truncated] = 1;
    else out[o + I.decode_malformed] = 1;
  }
}

function nonNeg(x: number): number {
  return x > 0 ? x : 0;
}
