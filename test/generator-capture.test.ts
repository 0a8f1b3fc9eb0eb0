import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCapture, ScenarioSpec } from '../src/generator/generate-capture';
import { readAllPackets } from '../src/pipeline/read-packets';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-gen-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const START = 1709542800; // generator's default capture start

const SCENARIOS: ScenarioSpec[] = [
  { kind: 'portscan', startSec: 5, durationSec: 3 },
  { kind: 'arpspoof', startSec: 4, durationSec: 20 },
  { kind: 'synflood', startSec: 10, durationSec: 1, intensity: 0.5 },
  { kind: 'dnstunnel', startSec: 12, durationSec: 10 },
  { kind: 'dnsshell', startSec: 15, durationSec: 10 },
  { kind: 'sshbrute', startSec: 20, durationSec: 5 },
  { kind: 'telnetbrute', startSec: 24, durationSec: 5 },
];

async function gen(name: string, seed: number): Promise<{ pcap: string; csv: string; packets: number; anomalous: number }> {
  const pcap = path.join(dir, `${name}.pcap`);
  const csv = path.join(dir, `${name}.labels.csv`);
  const r = await generateCapture({ out: pcap, labelsOut: csv, seed, durationSec: 30, hosts: 8, scenarios: SCENARIOS });
  return { pcap, csv, ...r };
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const tshark = (args: string[]) => execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
const first = gen('a', 7);

test('tshark decodes every generated frame: no malformed packets, no expert errors, checksums good', async () => {
  const { pcap, packets } = await first;
  assert.ok(packets > 2000 && packets < 20000, `packets ${packets}`);
  const check = ['-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];
  const frames = tshark(['-n', '-r', pcap, '-T', 'fields', '-e', 'frame.number']).trim().split('\n');
  assert.equal(frames.length, packets);
  assert.equal(tshark(['-n', '-r', pcap, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number']).trim(), '');
  const expert = tshark(['-n', ...check, '-r', pcap, '-q', '-z', 'expert,error']);
  assert.doesNotMatch(expert, /Errors \(\d+\)/, expert);
  const bad = tshark(['-n', ...check, '-r', pcap, '-Y', 'ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0 || icmp.checksum.status==0 || icmpv6.checksum.status==0', '-T', 'fields', '-e', 'frame.number']);
  assert.equal(bad.trim(), '');
});

test('the project decoder reads the capture with no decode problems', async () => {
  const { pcap, packets } = await first;
  const r = await readAllPackets([pcap]);
  assert.equal(r.packets.length, packets);
  assert.equal(r.counters.errors, 0);
  for (let i = 1; i < r.packets.length; i++) assert.ok(r.packets[i].ts >= r.packets[i - 1].ts, `time order at ${i}`);
});

test('labels: one row per packet; attack rows sit in their scenario window and look like the attack', async () => {
  const { pcap, csv, packets, anomalous } = await first;
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(rows[0], 'frame,label,scenario');
  assert.equal(rows.length - 1, packets);
  const fields = tshark(['-n', '-r', pcap, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.time_epoch', '-e', 'arp.opcode', '-e', 'arp.src.proto_ipv4', '-e', 'dns.qry.name', '-e', 'tcp.flags', '-e', 'tcp.dstport', '-e', 'tcp.srcport'])
    .split('\n');
  const perScenario = new Map<string, number>();
  let ones = 0;
  for (let i = 1; i < rows.length; i++) {
    const [frame, label, scenario] = rows[i].split(',');
    assert.equal(Number(frame), i);
    if (label === '0') {
      assert.equal(scenario, 'benign');
      continue;
    }
    ones++;
    perScenario.set(scenario, (perScenario.get(scenario) ?? 0) + 1);
    const [epoch, arpOp, arpSrc, qname, , dport, sport] = fields[i - 1].split('\t');
    const spec = SCENARIOS.find((s) => s.kind === scenario)!;
    const rel = Number(epoch) - START;
    assert.ok(rel >= spec.startSec && rel <= spec.startSec + spec.durationSec + 15, `${scenario} frame ${i} at ${rel}s`);
    if (scenario === 'arpspoof') assert.deepEqual([arpOp, arpSrc], ['2', '192.168.1.1']);
    if (scenario === 'dnstunnel') assert.ok(qname.length > 50, qname);
    if (scenario === 'portscan' || scenario === 'synflood') assert.notEqual(dport, '');
    if (scenario === 'dnsshell') assert.ok(dport === '53' || sport === '53');
    if (scenario === 'sshbrute') assert.ok(dport === '22' || sport === '22');
  }
  assert.equal(ones, anomalous);
  for (const s of SCENARIOS) assert.ok((perScenario.get(s.kind) ?? 0) > 0, `no packets for ${s.kind}`);
});

test('same seed gives identical bytes; another seed does not', async () => {
  const a = await first;
  const b = await gen('b', 7);
  const c = await gen('c', 8);
  assert.equal(sha(a.pcap), sha(b.pcap));
  assert.equal(sha(a.csv), sha(b.csv));
  assert.notEqual(sha(a.pcap), sha(c.pcap));
});

test('--packets target writes exactly that many packets', async () => {
  const out = path.join(dir, 'n.pcap');
  const r = await generateCapture({ out, seed: 3, durationSec: 10, packetsTarget: 5000 });
  assert.equal(r.packets, 5000);
  assert.equal(r.anomalous, 0);
  const frames = tshark(['-n', '-r', out, '-T', 'fields', '-e', 'frame.number']).trim().split('\n');
  assert.equal(frames.length, 5000);
});
