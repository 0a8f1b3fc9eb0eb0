/**
 * One attack, one incident, naming its target: a real DHCP starvation run (samples/dhcp-starvation.pcap,
 * recorded against a real dnsmasq by scripts/make-dhcp-starvation.sh: 237 DISCOVERs from random
 * client MACs, the pool of 51 addresses emptied), replayed with the shipped model.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isGroupAddress } from '../src/outputs/incident-tracker';
import { committedSample } from './helpers/samples';
import { runCli } from './helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'lln-detect-starvation-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a DHCP starvation run from random MACs is one incident from 0.0.0.0 whose target is the DHCP server, not the broadcast', () => {
  const pcap = committedSample('dhcp-starvation.pcap');
  const db = path.join(tmp, 's.db');
  const r = runCli(['replay', pcap, '--db', db, '--no-csv', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const labels = readFileSync(committedSample('dhcp-starvation.labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  const d = new Database(db, { readonly: true });
  const incidents = d.prepare('SELECT id, main_source AS source, main_target AS target FROM incidents').all() as Array<{ id: number; source: string; target: string }>;
  const frames = (d.prepare('SELECT frame FROM anomalies').all() as Array<{ frame: number }>).map((x) => x.frame);
  d.close();
  assert.equal(incidents.length, 1, JSON.stringify(incidents));
  assert.equal(incidents[0].source, '0.0.0.0');
  assert.equal(incidents[0].target, '10.77.0.1', 'the server that answered the broadcasts');
  assert.ok(frames.length > 50, `${frames.length} anomaly rows`);
  for (const f of frames) assert.equal(labels[f - 1], 1, `frame ${f} (an ordinary client's lease) flagged`);
});

test('group addresses: broadcast and multicast, IPv4, IPv6 and Ethernet; unicast ones are not', () => {
  for (const a of ['255.255.255.255', '224.0.0.251', '239.255.255.250', 'ff02::1', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:fb', '33:33:00:00:00:01']) assert.ok(isGroupAddress(a), a);
  for (const a of ['10.77.0.1', '192.168.1.255', '8.8.8.8', 'fe80::1', '2001:db8::ff', '52:54:00:12:34:56', '00:1c:7f:53:d0:28']) assert.ok(!isGroupAddress(a), a);
});
