import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IncidentTracker, compareHosts } from '../src/outputs/incident-tracker';
import type { IncidentRecord } from '../src/outputs/records';
import { placeRow, type AnomalyRow } from './helpers/place-row';

const T0 = 1714557600;

function anomaly(frame: number, src: string | null, dst: string | null, over: Partial<AnomalyRow> = {}): AnomalyRow {
  return {
    runId: 7, frame, ts: T0 + frame * 0.01, tsIso: '', source: 'x.pcap', interfaceId: 0, srcMac: null, dstMac: null,
    srcIp: src, dstIp: dst, srcPort: 40000 + (frame % 7), dstPort: 80, protocol: 'TCP', length: 60, score: 0.95,
    threshold: 0.9, attentionFrame: frame, topFeatures: `f${frame}`, communityId: null, ...over,
  };
}

/** Latest snapshot per incident id from repeated drainUpdates() calls. */
function collect(into: Map<number, IncidentRecord>, updates: IncidentRecord[]): void {
  for (const u of updates) into.set(u.id, u);
}

test('incidents: anomalies sharing a host merge; unrelated ones and gaps start new incidents', () => {
  const tr = new IncidentTracker({ gapFrames: 100, gapSeconds: 30, maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: Infinity });
  const ids: number[] = [];
  for (let f = 1; f <= 5; f++) ids.push(placeRow(tr, anomaly(f, '10.0.0.10', '10.0.0.2', { score: f === 3 ? 0.99 : 0.95 }))!.incidentId);
  for (let f = 6; f <= 8; f++) ids.push(placeRow(tr, anomaly(f, '172.16.0.1', '172.16.0.9'))!.incidentId);
  ids.push(placeRow(tr, anomaly(9, '10.0.0.2', '8.8.8.8', { srcPort: 5353, dstPort: 53 }))!.incidentId); // shares 10.0.0.2
  assert.deepEqual(ids, [1, 1, 1, 1, 1, 2, 2, 2, 1]);
  const snap = new Map<number, IncidentRecord>();
  collect(snap, tr.drainUpdates());
  const one = snap.get(1)!;
  assert.deepEqual(one.hosts, ['8.8.8.8', '10.0.0.2', '10.0.0.10'], 'numeric IP order');
  assert.deepEqual(one.ports, [53, 80, 5353, 40001, 40002, 40003, 40004, 40005]);
  assert.deepEqual([one.firstFrame, one.lastFrame, one.packets, one.anomalies, one.suppressed], [1, 9, 6, 6, 0]);
  assert.equal(one.maxScore, 0.99);
  assert.equal(one.attentionFrame, 3);
  assert.equal(one.topFeatures, 'f3');
  assert.equal(one.startTs, T0 + 0.01);
  assert.equal(one.endTs, T0 + 0.09);
  assert.equal(one.runId, 7);

  // Only changed incidents come back.
  placeRow(tr, anomaly(10, '172.16.0.9', '172.16.0.1'));
  assert.deepEqual(tr.drainUpdates().map((u) => u.id), [2]);

  // Beyond gapFrames (told through advance() by normal packets) the same hosts start a new incident.
  tr.advance(200, T0 + 2);
  assert.equal(tr.openIncidents(), 0);
  assert.equal(placeRow(tr, anomaly(201, '10.0.0.10', '10.0.0.2', { ts: T0 + 2.01 }))!.incidentId, 3);
  // Beyond gapSeconds too, even within gapFrames.
  assert.equal(placeRow(tr, anomaly(202, '10.0.0.10', '10.0.0.2', { ts: T0 + 60 }))!.incidentId, 4);
  assert.deepEqual(tr.totals(), { fed: 12, written: 12, suppressed: 0, incidents: 4 });
});

test('incidents: non-IP packets group by MAC', () => {
  const tr = new IncidentTracker();
  const arp = (f: number, mac: string): AnomalyRow => anomaly(f, null, null, { srcMac: mac, dstMac: 'ff:ff:ff:ff:ff:ff', protocol: 'ARP', srcPort: null, dstPort: null });
  // Broadcast is a shared host: a storm from two MACs to broadcast is one incident.
  assert.deepEqual([arp(1, 'aa:aa:aa:aa:aa:01'), arp(2, 'aa:aa:aa:aa:aa:02')].map((a) => placeRow(tr, a)!.incidentId), [1, 1]);
  const [inc] = tr.closeAll();
  assert.deepEqual(inc.hosts, ['aa:aa:aa:aa:aa:01', 'aa:aa:aa:aa:aa:02', 'ff:ff:ff:ff:ff:ff']);
  assert.deepEqual(inc.ports, []);
});

test('incidents: a flood is rate-limited per incident, suppressed rows are counted', () => {
  const tr = new IncidentTracker({ maxRowsPerIncident: 10, maxRowsPerSourcePerMinute: Infinity });
  let written = 0;
  for (let f = 1; f <= 100; f++) if (placeRow(tr, anomaly(f, '10.9.9.9', '10.0.0.1'))) written++;
  assert.equal(written, 10);
  const [inc] = tr.closeAll();
  assert.deepEqual([inc.packets, inc.anomalies, inc.suppressed, inc.lastFrame], [100, 10, 90, 100]);
  assert.deepEqual(tr.totals(), { fed: 100, written: 10, suppressed: 90, incidents: 1 });
});

test('incidents: per-source limit per minute of capture time', () => {
  const tr = new IncidentTracker({ maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: 5, gapSeconds: 600 });
  const writtenIn = (minute: number): number => {
    let w = 0;
    for (let i = 0; i < 20; i++) {
      const f = minute * 100 + i + 1;
      if (placeRow(tr, anomaly(f, '10.6.6.6', `10.1.0.${i}`, { ts: T0 + minute * 60 + i }))) w++;
    }
    return w;
  };
  assert.equal(writtenIn(0), 5);
  assert.equal(writtenIn(1), 5, 'a new minute has a new budget');
  // Another source keeps its own budget in the same minute.
  assert.ok(placeRow(tr, anomaly(500, '10.7.7.7', '10.1.0.1', { ts: T0 + 61 })));
  const t = tr.totals();
  assert.deepEqual([t.fed, t.written, t.suppressed], [41, 11, 30]);
});

test('incidents: totals are conserved under a random flood (written + suppressed == fed, per incident and overall)', () => {
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const tr = new IncidentTracker({ gapFrames: 50, gapSeconds: 5, maxRowsPerIncident: 40, maxRowsPerSourcePerMinute: 25 });
  const snap = new Map<number, IncidentRecord>();
  let fed = 0;
  const writtenPerIncident = new Map<number, number>();
  let ts = T0;
  for (let f = 1; f <= 20000; f++) {
    ts += rnd() * 0.05;
    if (rnd() < 0.3) {
      const host = (k: number): string => `10.0.${k >> 8}.${k & 255}`;
      const r = placeRow(tr, anomaly(f, host(Math.floor(rnd() * 30)), host(Math.floor(rnd() * 600)), { ts, score: 0.9 + rnd() / 10 }));
      fed++;
      if (r) writtenPerIncident.set(r.incidentId, (writtenPerIncident.get(r.incidentId) ?? 0) + 1);
    } else tr.advance(f, ts);
    if (f % 1000 === 0) collect(snap, tr.drainUpdates());
  }
  collect(snap, tr.closeAll());
  const t = tr.totals();
  assert.equal(t.fed, fed);
  assert.equal(t.written + t.suppressed, fed);
  assert.ok(t.suppressed > 0 && t.written > 0, 'both limits exercised');
  assert.equal(snap.size, t.incidents);
  let sumA = 0;
  let sumS = 0;
  for (const inc of snap.values()) {
    assert.equal(inc.packets, inc.anomalies + inc.suppressed, `incident ${inc.id}`);
    assert.equal(inc.anomalies, writtenPerIncident.get(inc.id) ?? 0, `incident ${inc.id} rows`);
    assert.ok(inc.anomalies <= 40);
    sumA += inc.anomalies;
    sumS += inc.suppressed;
  }
  assert.deepEqual([sumA, sumS], [t.written, t.suppressed]);
});

test('compareHosts: IPv4 numerically, then IPv6, then MACs', () => {
  const hosts = ['fe80::1', 'aa:bb:cc:dd:ee:ff', '10.0.0.10', '10.0.0.9', '::1', '9.255.255.255'];
  assert.deepEqual([...hosts].sort(compareHosts), ['9.255.255.255', '10.0.0.9', '10.0.0.10', '::1', 'fe80::1', 'aa:bb:cc:dd:ee:ff']);
});

test('incidents: a scan of a /24 names its scanner and busiest target, with source and target counts', () => {
  const tr = new IncidentTracker({ maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: Infinity });
  let f = 1;
  // 192.168.1.71 probes 254 hosts; 192.168.1.5 answers three times (open ports), others once.
  for (let h = 1; h <= 254; h++) {
    if (h === 71) continue;
    placeRow(tr, anomaly(f++, '192.168.1.71', `192.168.1.${h}`));
    placeRow(tr, anomaly(f++, `192.168.1.${h}`, '192.168.1.71'));
  }
  for (let k = 0; k < 3; k++) placeRow(tr, anomaly(f++, '192.168.1.71', '192.168.1.5'));
  const [inc] = tr.closeAll();
  assert.equal(inc.mainSource, '192.168.1.71', 'the scanner, though sorted it would be cut from the hosts list');
  assert.equal(inc.mainTarget, '192.168.1.5');
  assert.equal(inc.sources, 254);
  assert.equal(inc.targets, 254);
});

test('incidents: main source / target ties go to the first host; counts stop at the host cap', () => {
  const tr = new IncidentTracker({ maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: Infinity, maxHostsPerIncident: 3 });
  placeRow(tr, anomaly(1, '10.0.0.1', '10.0.0.9'));
  placeRow(tr, anomaly(2, '10.0.0.2', '10.0.0.9'));
  for (let i = 3; i <= 6; i++) placeRow(tr, anomaly(i, `10.0.1.${i}`, '10.0.0.9'));
  const [inc] = tr.closeAll();
  assert.equal(inc.mainSource, '10.0.0.1');
  assert.equal(inc.mainTarget, '10.0.0.9');
  assert.equal(inc.sources, 3);
  assert.equal(inc.targets, 1);
  const empty = new IncidentTracker();
  placeRow(empty, anomaly(1, null, null));
  const [none] = empty.closeAll();
  assert.deepEqual([none.mainSource, none.mainTarget, none.sources, none.targets], [null, null, 0, 0]);
});

test('incidents: by default only capture time parts an attack, however many packets a busy network puts between its anomalies', () => {
  const tr = new IncidentTracker({ maxRowsPerIncident: Infinity, maxRowsPerSourcePerMinute: Infinity });
  // A dense LAN (500 packets/s): the same attacker's anomalies 5,000 frames (10 s) apart.
  const ids = [1, 5001, 10001, 15001].map((f) => placeRow(tr, anomaly(f, '10.0.0.66', '10.0.0.10', { ts: T0 + f / 500 }))!.incidentId);
  assert.deepEqual(ids, [1, 1, 1, 1]);
  // More than the time gap (60 s) apart: a new incident.
  assert.equal(placeRow(tr, anomaly(60000, '10.0.0.66', '10.0.0.10', { ts: T0 + 15001 / 500 + 61 }))!.incidentId, 2);
});
