import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { parsePollingArg } from '../src/generator/main';
import { readAllPackets } from '../src/pipeline/read-packets';
import { isLlnError } from '../src/errors';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-poll-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const tshark = (args: string[]) => execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
const SUPERVISOR = '192.168.1.10';

test('industrial polling: one supervisor reads its devices on fixed periods over long-lived connections', async () => {
  const out = path.join(dir, 'ics.pcap');
  const r = await generateCapture({ out, seed: 11, durationSec: 20, hosts: 10, polling: { profile: 'industrial', devices: 9 } });
  const { packets, counters } = await readAllPackets([out]);
  assert.equal(packets.length, r.packets);
  assert.equal(counters.errors, 0, `decode problems: ${JSON.stringify(counters.byReason())}`);
  const ports = new Set([502, 102, 44818, 20000]);
  // Requests (supervisor → device, with payload) per flow, in time order.
  const requests = new Map<string, number[]>();
  const syns = new Set<string>();
  for (const p of packets) {
    // The devices are controllers: embedded stacks' TTLs, a small fixed window, no TCP options.
    if (p.dstIp === SUPERVISOR && ports.has(p.srcPort)) {
      assert.ok([30, 60, 64, 128, 255].includes(p.ttl), `device ${p.srcIp} TTL ${p.ttl}`);
      assert.ok([2048, 4096, 5840, 8192].includes(p.tcpWindow), `device ${p.srcIp} window ${p.tcpWindow}`);
      if ((p.tcpFlags & 2) === 0) assert.equal(p.tcpOptionsLen, 0, `device ${p.srcIp} sends TCP options`);
    }
    if (p.srcIp !== SUPERVISOR || !ports.has(p.dstPort)) continue;
    const key = `${p.dstIp}:${p.dstPort}/${p.srcPort}`;
    if ((p.tcpFlags & 2) !== 0) syns.add(key);
    if (p.payloadLen > 0) (requests.get(key) ?? requests.set(key, []).get(key)!).push(p.ts);
  }
  const devices = new Set([...requests.keys()].map((k) => k.split(':')[0]));
  assert.equal(devices.size, 9, `devices polled: ${[...devices].join(' ')}`);
  // A device is read the same n transactions every cycle, so every n-th request starts a cycle:
  // those starts must be one period apart (a timer's jitter, 1%), for some n in 1..4.
  const cycleSpread = (ts: number[]): number => Math.min(...[1, 2, 3, 4].map((n) => {
    const starts = ts.filter((_, i) => i % n === 0);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    return Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length) / mean;
  }));
  const long = [...requests].filter(([, ts]) => ts.length >= 20);
  assert.ok(long.length >= 5, `flows with 20+ requests: ${long.length}`);
  for (const [key, ts] of long) assert.ok(cycleSpread(ts) < 0.05, `${key}: cycle starts spread ${cycleSpread(ts).toFixed(3)} of the period`);
  // Most long-lived connections began before the capture: no SYN seen for them.
  const joined = long.filter(([k]) => !syns.has(k)).length;
  assert.ok(joined >= long.length / 2, `joined mid-stream: ${joined} of ${long.length}`);
  // Pollers that reconnect every cycle do so at most once a second per device.
  const opens = new Map<string, number>();
  for (const k of syns) opens.set(k.split('/')[0], (opens.get(k.split('/')[0]) ?? 0) + 1);
  for (const [dev, n] of opens) assert.ok(n <= 21, `${dev}: ${n} connections in 20 s`);
  const check = ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', '_ws.expert.severity >= error && !tcp.analysis'];
  assert.equal(tshark(['-n', '-r', out, ...check, '-T', 'fields', '-e', 'frame.number']).trim(), '', 'tshark finds broken frames');
});

test('monitoring polling: SNMP from one socket and one connection per metric scrape', async () => {
  const out = path.join(dir, 'mon.pcap');
  await generateCapture({ out, seed: 12, durationSec: 120, hosts: 12, polling: { profile: 'monitoring', devices: 11 } });
  const { packets } = await readAllPackets([out]);
  const snmpSources = new Set<number>();
  const snmpTargets = new Set<string>();
  let scrapes = 0;
  for (const p of packets) {
    if (p.srcIp !== SUPERVISOR) continue;
    if (p.ipProto === 17 && p.dstPort === 161) {
      snmpSources.add(p.srcPort);
      snmpTargets.add(p.dstIp!);
    }
    if (p.dstPort === 9100 && (p.tcpFlags & 0x12) === 2) scrapes++;
  }
  assert.equal(snmpSources.size, 1, 'SNMP polls come from one socket');
  assert.ok(snmpTargets.size >= 3, `SNMP devices: ${snmpTargets.size}`);
  assert.ok(scrapes >= 4, `metric scrapes (a SYN each): ${scrapes}`);
});

test('no polling asked: no polled services', async () => {
  const a = path.join(dir, 'plain.pcap');
  await generateCapture({ out: a, seed: 11, durationSec: 20, hosts: 10 });
  const { packets } = await readAllPackets([a]);
  assert.ok(!packets.some((p) => [502, 102, 44818, 20000, 161, 9100].includes(p.dstPort)));
});

test('--polling: a bad profile or device count is a one-line usage error', () => {
  assert.deepEqual(parsePollingArg('industrial:4', 20), { profile: 'industrial', devices: 4 });
  assert.deepEqual(parsePollingArg('monitoring', 20), { profile: 'monitoring', devices: 19 });
  for (const bad of ['scada', 'industrial:0', 'monitoring:x']) {
    assert.throws(() => parsePollingArg(bad, 20), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_USAGE' && /--polling/.test(e.message) && !e.message.includes('\n'));
  }
});
