/** The end-of-replay text: who each incident is about, how many were left out, runs without a database. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncidentRecord, RunRecord } from '../src/outputs/records';
import { formatReplaySummary } from '../src/pipeline/replay-summary';

function run(over: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 3, startedAt: '', finishedAt: null, mode: 'replay', sources: ['x.pcap'], modelId: 'm', modelSha256: '', threshold: 0.5,
    packets: 100, windows: 7, anomalies: 40, incidents: 11, suppressed: 0, status: 'finished', ...over,
  };
}

function incident(id: number): IncidentRecord {
  const hosts = Array.from({ length: 254 }, (_, h) => `192.168.1.${h + 1}`);
  return {
    id, runId: 3, firstFrame: id, lastFrame: id + 300, startTs: 1709542800, endTs: 1709542801, hosts, ports: [22, 80],
    mainSource: '192.168.1.71', mainTarget: '192.168.1.5', sources: 254, targets: 254, packets: 300, anomalies: 300,
    suppressed: 0, maxScore: 0.9 - id / 100, attentionFrame: id, topFeatures: 'tcp_syn=+6.0σ',
  };
}

test('summary: the top-incidents table names the main source and target, and says how many more there are', () => {
  const top = Array.from({ length: 10 }, (_, i) => incident(i + 1));
  const text = formatReplaySummary({ run: run(), seconds: 1, packetsPerSecond: 100, topIncidents: top, decodeErrors: {} });
  const lines = text.trimEnd().split('\n');
  assert.match(lines.find((l) => l.startsWith('id '))!, /main source\s+srcs\s+main target\s+dsts/);
  assert.match(lines.find((l) => l.startsWith('1 '))!, /192\.168\.1\.71\s+254\s+192\.168\.1\.5\s+254/);
  assert.equal(lines[lines.length - 1], '… and 1 more incident, lower scores (all of them: SELECT * FROM incidents WHERE run_id = 3)');
});

test('summary: no "more" line when the table holds every incident; no "run 0" without a database', () => {
  const text = formatReplaySummary({ run: run({ id: 0, incidents: 1 }), seconds: 1, packetsPerSecond: 100, topIncidents: [incident(1)], decodeErrors: {} });
  assert.doesNotMatch(text, /more incident/);
  assert.doesNotMatch(text, /run 0/);
  assert.match(text.split('\n')[0], /^run \(not recorded: no database\): finished$/);
});
