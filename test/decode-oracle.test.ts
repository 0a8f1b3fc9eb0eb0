/**
 * The decoder against tshark, frame by frame, on every sample capture: addresses, protocol,
 * TTL / hop limit, IP length, ports, TCP flags / window / header and payload length, UDP
 * length, ARP, ICMP type and DNS id/name. tshark runs with IP reassembly off so each
 * fragment is reported as itself (as our decoder sees it).
 */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '../src/capture/decode';
import type { DecodedPacket } from '../src/capture/decode';
import { loadSamplePackets } from './helpers/load-sample-packets';
import { ALL_SAMPLES, sample, SKIP_NO_SAMPLES } from './helpers/samples';

const FIELDS = [
  'frame.number', 'frame.protocols', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
  'ip.proto', 'ip.ttl', 'ipv6.hlim', 'ip.len', 'ipv6.plen', 'ip.frag_offset',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.flags', 'tcp.window_size_value',
  'tcp.len', 'tcp.hdr_len', 'udp.length', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'icmp.type', 'icmpv6.type', 'dns.id', 'dns.qry.name', 'dns.count.queries', 'vlan.id',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string>;

function tsharkRows(file: string): Row[] {
  const out = execFileSync('tshark', [
    '-r', file, '-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE',
    '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
    '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f]),
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l.length > 0).map((line) => {
    const cols = line.split('\t');
    return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Row;
  });
}

/** First (outermost) value of a possibly comma-aggregated field, '' when absent. */
function first(v: string): string {
  const i = v.indexOf(',');
  return i < 0 ? v : v.slice(0, i);
}

function num(v: string): number {
  const f = first(v);
  return f === '' ? -1 : Number(f);
}

/** Compare one frame; returns human-readable differences. */
function compareFrame(row: Row, p: DecodedPacket): string[] {
  const diffs: string[] = [];
  const eq = (what: string, ours: unknown, theirs: unknown): void => {
    if (ours !== theirs) diffs.push(`${what}: ours=${String(ours)} tshark=${String(theirs)}`);
  };
  const protos = row['frame.protocols'].split(':');
  const ipAt = protos.findIndex((x) => x === 'ip' || x === 'ipv6');
  const outerIp = ipAt < 0 ? null : protos[ipAt];
  const afterIp = ipAt < 0 ? '' : protos[ipAt + 1] ?? '';

  if (p.linkType === 1) {
    eq('eth.src', p.srcMac, first(row['eth.src']));
    eq('eth.dst', p.dstMac, first(row['eth.dst']));
    eq('vlan.id', p.vlanId, num(row['vlan.id']));
  }
  if (outerIp === 'ip') {
    eq('l3', p.l3, 'ipv4');
    eq('ip.src', p.srcIp, first(row['ip.src']));
    eq('ip.dst', p.dstIp, first(row['ip.dst']));
    eq('ip.proto', p.ipProto, num(row['ip.proto']));
    eq('ip.ttl', p.ttl, num(row['ip.ttl']));
    eq('ip.len', p.ipTotalLen, num(row['ip.len']));
    // tshark 4.0 prints the fragment offset in 8-byte units; ours is in bytes.
    eq('ip.frag_offset', p.fragOffset, num(row['ip.frag_offset']) * 8);
  } else if (outerIp === 'ipv6') {
    eq('l3', p.l3, 'ipv6');
    eq('ipv6.src', p.srcIp, first(row['ipv6.src']));
    eq('ipv6.dst', p.dstIp, first(row['ipv6.dst']));
    eq('ipv6.hlim', p.ttl, num(row['ipv6.hlim']));
    eq('ipv6 total', p.ipTotalLen, 40 + num(row['ipv6.plen']));
  } else if (protos.includes('arp')) {
    eq('l3', p.l3, 'arp');
    eq('arp.opcode', p.arpOp, num(row['arp.opcode']));
    eq('arp.src', p.arpSenderIp, first(row['arp.src.proto_ipv4']));
    eq('arp.dst', p.arpTargetIp, first(row['arp.dst.proto_ipv4']));
  } else {
    eq('l3 is neither ip nor arp', p.l3 === 'ipv4' || p.l3 === 'ipv6' || p.l3 === 'arp', false);
  }

  if (afterIp === 'tcp') {
    eq('tcp.srcport', p.srcPort, num(row['tcp.srcport']));
    eq('tcp.dstport', p.dstPort, num(row['tcp.dstport']));
    eq('tcp.flags', p.tcpFlags, num(row['tcp.flags']) & 0xff);
    eq('tcp.window', p.tcpWindow, num(row['tcp.window_size_value']));
    eq('tcp.hdr_len', p.tcpHeaderLen, num(row['tcp.hdr_len']));
    eq('tcp.len', p.payloadLen, num(row['tcp.len']));
  } else if (afterIp === 'udp') {
    eq('udp.srcport', p.srcPort, num(row['udp.srcport']));
    eq('udp.dstport', p.dstPort, num(row['udp.dstport']));
    eq('udp payload', p.payloadLen, num(row['udp.length']) - 8);
    const app = protos[ipAt + 2] ?? '';
    if (app === 'dns' || app === 'mdns' || app === 'llmnr') {
      eq('dns.valid', p.dns?.valid, true);
      eq('dns.id', p.dns?.id, num(row['dns.id']));
      if (num(row['dns.count.queries']) > 0) eq('dns.qry.name', p.dns?.qname, first(row['dns.qry.name']));
    }
  } else if (afterIp === 'icmp') {
    eq('icmp.type', p.icmpType, num(row['icmp.type']));
    eq('ports on icmp', p.srcPort, -1);
  } else if (afterIp === 'icmpv6') {
    eq('icmpv6.type', p.icmpType, num(row['icmpv6.type']));
  } else if (outerIp !== null) {
    eq('ports without tcp/udp', p.srcPort, -1);
  }
  if (p.dns?.valid) eq('dns.id (ours valid)', p.dns.id, num(row['dns.id']));
  return diffs;
}

for (const name of ALL_SAMPLES) {
  test(`decode matches tshark on ${name}`, { skip: SKIP_NO_SAMPLES }, async () => {
    const file = sample(name);
    const packets = await loadSamplePackets(file);
    const rows = tsharkRows(file);
    assert.equal(packets.length, rows.length, 'frame count');
    const problems: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const p = decode(packets[i]);
      for (const d of compareFrame(rows[i], p)) problems.push(`frame ${rows[i]['frame.number']} [${rows[i]['frame.protocols']}] ${d}`);
    }
    assert.deepEqual(problems.slice(0, 25), [], `${problems.length} differences`);
  });
}

test('dns-remoteshell.pcap: frame 2 is a DNS query, frame 21 is shell text on TCP port 53', { skip: SKIP_NO_SAMPLES }, async () => {
  const packets = await loadSamplePackets(sample('dns-remoteshell.pcap'));
  const q = decode(packets[1]);
  assert.equal(q.frame, 2);
  assert.equal(q.dns?.valid, true);
  assert.equal(q.dns?.qname, '1.1.168.192.in-addr.arpa');
  assert.equal(q.dns?.qtype, 12);
  const shell = decode(packets[20]);
  assert.equal(shell.frame, 21);
  assert.equal(shell.ipProto, 6);
  assert.equal(shell.srcPort, 53);
  assert.equal(shell.payloadLen, 88);
  assert.ok(shell.dns !== null, 'TCP port 53 with payload gets a dns record');
  assert.equal(shell.dns.valid, false);
});
