/**
 * The per-packet feature vector: one documented, versioned list. Model artifacts store this
 * schema and refuse to load against another version, so ANY change to the list, the order,
 * a transform or the meaning of a column must bump `version`. docs/features.md has one row
 * per feature (kept in step by a test).
 */
export type FeatureTransform =
  /** Value as is (already bounded, e.g. a correlation). */
  | 'none'
  /** log(1 + x), x >= 0: compresses sizes, rates and times spanning many decades. */
  | 'log1p'
  /** sign(x) * log(1 + |x|): log1p for a value that can be negative (a covariance). */
  | 'signed_log1p'
  /** One column of a one-hot group: exactly one of the group is 1. */
  | 'onehot'
  /** 0 or 1. */
  | 'flag';

export interface FeatureDef {
  name: string;
  description: string;
  unit: string;
  transform: FeatureTransform;
}

export interface FeatureSchema {
  version: string;
  features: FeatureDef[];
}

// [name, unit, transform, description]
const DEFS = [
  // --- sizes
  ['frame_len', 'bytes', 'log1p', 'Original (wire) length of the frame.'],
  ['ip_len', 'bytes', 'log1p', 'IPv4 total length or IPv6 40 + payload length; 0 when not IP.'],
  ['payload_len', 'bytes', 'log1p', 'Transport payload length as the headers claim it; 0 when unknown.'],
  ['header_len', 'bytes', 'log1p', 'Network + transport header bytes (IP length minus payload); 0 when not IP.'],
  ['ttl', 'hops', 'none', 'IPv4 TTL or IPv6 hop limit; 0 when not IP.'],
  // --- protocol
  ['proto_tcp', '', 'onehot', 'Transport is TCP.'],
  ['proto_udp', '', 'onehot', 'Transport is UDP.'],
  ['proto_icmp', '', 'onehot', 'IP protocol is ICMP (IPv4).'],
  ['proto_icmpv6', '', 'onehot', 'IP protocol is ICMPv6.'],
  ['proto_arp', '', 'onehot', 'Packet is ARP.'],
  ['proto_other', '', 'onehot', 'Any other IP protocol or non-IP, non-ARP frame (incl. undecodable).'],
  ['is_ipv6', '', 'flag', 'Network layer is IPv6 (IPv4 = IP protocol set and this 0).'],
  ['ip_df', '', 'flag', 'IPv4 Don\'t Fragment bit.'],
  ['ip_fragment', '', 'flag', 'Packet is an IP fragment: More Fragments set or fragment offset > 0.'],
  // --- TCP
  ['tcp_fin', '', 'flag', 'TCP FIN bit.'],
  ['tcp_syn', '', 'flag', 'TCP SYN bit.'],
  ['tcp_rst', '', 'flag', 'TCP RST bit.'],
  ['tcp_psh', '', 'flag', 'TCP PSH bit.'],
  ['tcp_ack', '', 'flag', 'TCP ACK bit.'],
  ['tcp_urg', '', 'flag', 'TCP URG bit.'],
  ['tcp_ece', '', 'flag', 'TCP ECE bit.'],
  ['tcp_cwr', '', 'flag', 'TCP CWR bit.'],
  ['tcp_window', 'bytes', 'log1p', 'TCP window field (unscaled); 0 when not TCP.'],
  ['tcp_options_len', 'bytes', 'none', 'TCP options length (header length - 20); 0 when not TCP.'],
  // --- ports: services on either port, and the IANA class of each port (never the number)
  ['svc_dns', '', 'flag', 'Either port is DNS/mDNS/LLMNR (53, 5353, 5355).'],
  ['svc_http', '', 'flag', 'Either port is HTTP (80, 8000, 8080).'],
  ['svc_https', '', 'flag', 'Either port is HTTPS (443, 8443).'],
  ['svc_ssh', '', 'flag', 'Either port is SSH (22).'],
  ['svc_telnet', '', 'flag', 'Either port is Telnet (23).'],
  ['svc_ftp', '', 'flag', 'Either port is FTP (20, 21).'],
  ['svc_smtp', '', 'flag', 'Either port is SMTP (25, 465, 587).'],
  ['svc_dhcp', '', 'flag', 'Either port is DHCP/DHCPv6 (67, 68, 546, 547).'],
  ['svc_ntp', '', 'flag', 'Either port is NTP (123).'],
  ['svc_smb', '', 'flag', 'Either port is SMB/NetBIOS (137, 138, 139, 445).'],
  ['src_port_wellknown', '', 'flag', 'Source port < 1024 (TCP/UDP only).'],
  ['src_port_ephemeral', '', 'flag', 'Source port >= 49152 (TCP/UDP only); neither flag = registered.'],
  ['dst_port_wellknown', '', 'flag', 'Destination port < 1024 (TCP/UDP only).'],
  ['dst_port_ephemeral', '', 'flag', 'Destination port >= 49152 (TCP/UDP only); neither flag = registered.'],
  // --- time and flow (flow = bidirectional 5-tuple socket)
  ['iat_global', 'µs', 'log1p', 'Time since the previous packet of the stream (0 for the first, clamped >= 0).'],
  ['iat_flow', 'µs', 'log1p', 'Time since the previous packet of the same flow (0 for its first, clamped >= 0).'],
  ['flow_first', '', 'flag', 'First packet of its flow (as far as the bounded flow table remembers).'],
  ['flow_pkt_index', 'packets', 'log1p', 'Index of the packet within its flow, 1-based, capped at 1000.'],
  ['flow_bytes', 'bytes', 'log1p', 'Frame bytes of the flow so far, this packet included.'],
  // --- conformance
  ['dns_not_dns', '', 'flag', 'TCP/UDP payload on a DNS port that does not parse as DNS.'],
  ['dns_qname_len', 'chars', 'log1p', 'Length of the first DNS question name; 0 when none.'],
  ['dns_qname_labels', 'labels', 'none', 'Number of labels in the first DNS question name; 0 when none.'],
  ['dns_qname_entropy', 'bits/char', 'none', 'Shannon entropy of the question name characters; 0 when none.'],
  ['arp_unsolicited_reply', '', 'flag', 'ARP reply with no matching request seen in the last 30 s (not gratuitous).'],
  ['arp_gratuitous', '', 'flag', 'ARP whose sender IP equals its target IP.'],
  ['icmp_echo', '', 'flag', 'ICMP/ICMPv6 echo request or reply.'],
  ['icmp_error', '', 'flag', 'ICMP error (v4 types 3,4,5,11,12; v6 types 1-4).'],
  ['decode_truncated', '', 'flag', 'The decoder found a header cut short (a truncated_* decode problem).'],
  ['decode_malformed', '', 'flag', 'The decoder found an invalid header or length (any other decode problem).'],
  // --- context: source host (damped, λ per second; half-life = 1/λ s)
  ['host_rate_fast', 'packets', 'log1p', 'Source host damped packet weight, λ=5 (bursts over ~0.2 s).'],
  ['host_rate_slow', 'packets', 'log1p', 'Source host damped packet weight, λ=0.1 (~10 s).'],
  ['host_size_mean', 'bytes', 'log1p', 'Source host damped mean frame size, λ=1.'],
  ['host_size_std', 'bytes', 'log1p', 'Source host damped std of frame size, λ=1.'],
  ['host_new_dst_rate', 'events', 'log1p', 'Damped rate (λ=1) of new destination hosts contacted by the source (scans).'],
  ['host_new_flow_rate', 'events', 'log1p', 'Damped rate (λ=1) of new flows opened by the source (port scans, floods).'],
  // --- context: channel (unordered host pair), λ=1
  ['chan_rate', 'packets', 'log1p', 'Channel damped packet weight in this packet\'s direction.'],
  ['chan_magnitude', 'bytes', 'log1p', 'sqrt(mean_ab² + mean_ba²) of frame sizes of the two directions.'],
  ['chan_radius', 'bytes', 'log1p', 'sqrt(var_ab + var_ba) of frame sizes of the two directions.'],
  ['chan_cov', 'bytes²', 'signed_log1p', 'Damped covariance of the two directions\' size residuals.'],
  ['chan_pcc', '', 'none', 'Correlation of the two directions\' sizes (cov / std_ab std_ba), in [-1, 1].'],
  ['chan_jitter_mean', 'µs', 'log1p', 'Damped mean inter-arrival time within the channel.'],
  ['chan_jitter_std', 'µs', 'log1p', 'Damped std of inter-arrival time within the channel.'],
  // --- context: socket (flow), λ=1
  ['sock_rate', 'packets', 'log1p', 'Flow damped packet weight (both directions).'],
  ['sock_size_mean', 'bytes', 'log1p', 'Flow damped mean frame size.'],
  ['sock_size_std', 'bytes', 'log1p', 'Flow damped std of frame size.'],
  ['sock_jitter_std', 'µs', 'log1p', 'Flow damped std of inter-arrival time.'],
  // --- global context: makes floods of NEW sources visible (Kitsune's blind spot)
  ['global_rate', 'packets', 'log1p', 'Damped packet weight of the whole stream, λ=1.'],
  ['global_new_host_rate', 'events', 'log1p', 'Damped rate (λ=1) of packets from sources not in the host table.'],
  ['global_new_flow_rate', 'events', 'log1p', 'Damped rate (λ=1) of new flows over the whole stream.'],
] as const satisfies ReadonlyArray<readonly [string, string, FeatureTransform, string]>;

export type FeatureName = (typeof DEFS)[number][0];

export const FEATURE_SCHEMA: FeatureSchema = Object.freeze({
  version: '1.0.0',
  features: DEFS.map(([name, unit, transform, description]) => Object.freeze({ name, description, unit, transform })),
});

export const FEATURE_COUNT: number = DEFS.length;

/** Column index of each feature, for writers that fill the vector by name without lookups. */
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(DEFS.map(([name], i) => [name, i])) as Record<FeatureName, number>,
);

export function featureNames(): string[] {
  return FEATURE_SCHEMA.features.map((f) => f.name);
}
