import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths';

/** ../shared/samples beside the project (absent in a user's fresh clone: tests then skip). */
export const SAMPLES_DIR = process.env.LLN_SAMPLES_DIR ?? path.join(PACKAGE_ROOT, '..', 'shared', 'samples');
export const HAVE_SAMPLES = existsSync(path.join(SAMPLES_DIR, 'dns-remoteshell.pcap'));
/** Pass as node:test's `skip` option. */
export const SKIP_NO_SAMPLES = HAVE_SAMPLES ? false : `../shared/samples not found (set LLN_SAMPLES_DIR): skipping`;

/** A capture committed in samples/ (scripts/sample-recipe.ts): present in every clone. */
export function committedSample(name: string): string {
  return path.join(PACKAGE_ROOT, 'samples', name);
}

export function sample(name: string): string {
  return path.join(SAMPLES_DIR, name);
}

export const ALL_SAMPLES = [
  '200722_tcp_anon.pcapng', 'arp-storm.pcap', 'dns-ech-rawip.pcap', 'dns-remoteshell.pcap', 'dns.cap',
  'http.cap', 'linuxsll-arp.pcap', 'nb6-startup.pcap', 'nmap-vsn.pcap', 'pcapng-multi-interface.pcapng',
  'redis-set-null-loopback.pcap', 'simple_http_sll2.pcap', 'slammer.pcap', 'teardrop.cap', 'telnet-raw.pcap',
];
