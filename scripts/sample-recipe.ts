/**
 * The committed captures in samples/ (written by scripts/make-samples.ts, described in
 * samples/README.md). Tests import this list, so a renamed sample cannot leave a test behind.
 */
import type { GenerateOptions, ScenarioSpec } from '../src/generator/generate-capture';

export interface SampleCapture {
  name: string;
  options: Omit<GenerateOptions, 'out' | 'labelsOut' | 'scenarios'>;
  scenarios: ScenarioSpec[];
  /** One line for samples/README.md and test messages. */
  what: string;
}

/**
 * Frames are cut at 160 bytes: every header and every DNS question fits, so the features are
 * those of the uncut capture (test/samples-committed.test.ts), while encrypted payloads,
 * which no feature reads, would make each file ten times bigger.
 */
const SNAPLEN = 160;

export const SAMPLE_CAPTURES: SampleCapture[] = [
  {
    name: 'lan-portscan.pcap',
    options: { seed: 12, durationSec: 20, hosts: 3, snaplen: SNAPLEN },
    scenarios: [{ kind: 'portscan', startSec: 10, durationSec: 1 }],
    what: 'a quiet LAN in which one host SYN-scans another (the README\'s main example)',
  },
  {
    name: 'lan-dnsshell.pcap',
    options: { seed: 10, durationSec: 30, hosts: 3, snaplen: SNAPLEN },
    scenarios: [{ kind: 'dnsshell', startSec: 5, durationSec: 20, intensity: 2 }],
    what: 'a remote shell carried over TCP port 53, the generator\'s version of dns-remoteshell.pcap',
  },
  {
    name: 'lan-benign.pcap',
    options: { seed: 7, durationSec: 40, hosts: 3, snaplen: SNAPLEN },
    scenarios: [],
    what: 'benign LAN traffic only (DNS, HTTPS, HTTP, ARP, NTP, DHCP, IPv6)',
  },
];

export const MAIN_SAMPLE = 'lan-portscan.pcap';
