import path from 'node:path';
import type { ScenarioSpec } from '../src/generator/attack-scenarios';

/**
 * What the shipped default model is trained and evaluated on: captures the project's own
 * seeded generator writes, so `npm run train:default` reproduces it from the repository alone.
 */
/**
 * The shipped model's threshold floor: 0.9, as models/default was calibrated. The user recipe's
 * floor rose to 0.99 with the flow verdict, but at 0.99 the shipped model flags 5 of nmap-vsn's
 * 547 packets and 1 of arp-storm's 622 (at 0.9: 26 and 21), and its realdata FPR with the verdict
 * is 0.32% at 0.9 (docs/quality.md, "Flow verdict").
 */
export const SHIPPED_THRESHOLD_FLOOR = 0.9;

export const TRAINING_CAPTURES = [
  // Networks of very different sizes and rates, so no one traffic volume is "normal". Durations
  // keep the generated part (~100k packets) near four times the real benign part below.
  { name: 'train-lan-a.pcap', seed: 101, durationSec: 150, hosts: 24 },
  { name: 'train-lan-b.pcap', seed: 202, durationSec: 300, hosts: 3 },
  { name: 'train-lan-c.pcap', seed: 303, durationSec: 90, hosts: 40 },
  { name: 'train-lan-d.pcap', seed: 404, durationSec: 400, hosts: 2 },
  { name: 'train-lan-e.pcap', seed: 505, durationSec: 200, hosts: 8 },
];

/**
 * Real benign traffic beside the project (../shared), used when present: a real IoT LAN's
 * training day (never the mixes: those measure the model) and the benign public samples. Adding
 * realdata-b's training session was tried (docs/quality.md, "Two networks"): FPR there 34% →
 * 2.2%, but 4 of its attacks and 1 of realdata's no longer raised an incident, and realdata's
 * false incidents rose 3.4 → 5.3 a day; not kept.
 */
export const REAL_BENIGN_CAPTURES = [
  'realdata/train-benign.pcap',
  'samples/http.cap', 'samples/dns.cap', 'samples/telnet-raw.pcap', 'samples/nb6-startup.pcap', 'samples/200722_tcp_anon.pcapng',
];

/** Held-out evaluation: other seeds, one capture per attack scenario. */
export const EVALUATION_SCENARIOS: Array<{ name: string; seed: number; scenario: ScenarioSpec }> = [
  { name: 'eval-portscan.pcap', seed: 9001, scenario: { kind: 'portscan', startSec: 200, durationSec: 30 } },
  { name: 'eval-synflood.pcap', seed: 9002, scenario: { kind: 'synflood', startSec: 200, durationSec: 10 } },
  { name: 'eval-dnstunnel.pcap', seed: 9003, scenario: { kind: 'dnstunnel', startSec: 200, durationSec: 120 } },
  { name: 'eval-dnsshell.pcap', seed: 9004, scenario: { kind: 'dnsshell', startSec: 200, durationSec: 120 } },
  { name: 'eval-arpspoof.pcap', seed: 9005, scenario: { kind: 'arpspoof', startSec: 200, durationSec: 120 } },
  { name: 'eval-sshbrute.pcap', seed: 9006, scenario: { kind: 'sshbrute', startSec: 200, durationSec: 120 } },
  { name: 'eval-telnetbrute.pcap', seed: 9007, scenario: { kind: 'telnetbrute', startSec: 200, durationSec: 120 } },
];

export const EVAL_DURATION_SEC = 420;
export const EVAL_HOSTS = 20;

/** Generated captures are build products, not sources: they live in samples/generated (ignored by git). */
export function generatedDir(root: string): string {
  return path.join(root, 'samples', 'generated');
}
