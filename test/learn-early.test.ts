import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCaptureFiles } from '../src/capture/file-source';
import type { RawPacket } from '../src/capture/raw-packet';
import { statusText } from '../src/cli/learn-commands';
import { readState } from '../src/learn/learn-state';
import { committedSample } from './helpers/samples';
import { learnerFor as sharedLearnerFor } from './helpers/learner-for';

/**
 * learning.earlyFirstModelAt: a model in use that flags more than that share of the packets
 * scored while learning does not fit the network, and the first own model comes once
 * minPackets are spooled instead of after learning.period; the model of the whole period follows
 * at the period's end (docs/daemon.md, "Learning its own network").
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lln-h-learnearly-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const learnerFor = (name: string, learning: string) => sharedLearnerFor(tmp, name, { learning, threshold: 0.9 });

function packets(n: number, t0: number): RawPacket[] {
  return Array.from({ length: n }, (_, i) => ({
    frame: i + 1, tsSec: t0 + Math.floor(i / 100), tsNsec: (i % 100) * 1e7, tsDigits: 6, capLen: 60, origLen: 60, linkType: 1, interfaceId: 0, data: new Uint8Array(60).fill(i & 0xff), source: 'x',
  }));
}

const WAITING = /^training: first model: waiting/m;

test('a model flagging more than earlyFirstModelAt of the learning traffic: the first own model is due at minPackets, not after the period', async () => {
  const l = learnerFor('misfit', '  period: 1d\n  minPackets: 300\n  earlyFirstModelAt: 0.01\n');
  try {
    l.learner.verdictWaitSeconds = 3600; // due, then waiting for verdicts: no training child in this test
    l.learner.write(packets(300, Math.floor(Date.now() / 1000) - 10));
    l.learner.noteScored(200, 100);
    l.learner.tick();
    assert.doesNotMatch(l.lines.join('\n'), WAITING, 'fewer than minPackets scored: the share is not judged yet');
    l.learner.noteScored(100, -97); // 3 of 300 flagged: exactly 1 %, not above it
    l.learner.tick();
    assert.doesNotMatch(l.lines.join('\n'), WAITING, '1 % is within the bound');
    l.learner.noteScored(0, 1);
    l.learner.tick();
    const log = l.lines.join('\n');
    assert.match(log, /^learning: the model in use flags 1\.33% of the 300 packets scored while learning \(learning\.earlyFirstModelAt 1%\): it does not fit this network, so the first own model is trained now, not after learning\.period 1d/m);
    assert.match(log, WAITING);
  } finally {
    await l.close(); // writes status.json
  }
  assert.equal(statusText(l.state).match(/^model:/gm)?.length, 1, 'one model row (the shipped model states no promise)');
  assert.match(statusText(l.state), /^learning:\s+300 of at least 300 packets, \S+ of 1d \(the period is not waited for, below\) \(100%\)$/m);
  assert.match(statusText(l.state), /^flagged:\s+1\.33% of 300 packets scored while learning \(above learning\.earlyFirstModelAt 1%: the first own model comes at 300 packets\)$/m);
  // The counts are part of the learning state: a restart goes on from them, and the spool is still there.
  const again = learnerFor('misfit', '  period: 1d\n  minPackets: 300\n  earlyFirstModelAt: 0.01\n');
  try {
    again.learner.verdictWaitSeconds = 3600;
    again.learner.tick();
    assert.match(again.lines.join('\n'), /^learning: the model in use flags 1\.33% of the 300 packets scored while learning/m);
    assert.match(again.lines.join('\n'), WAITING);
  } finally {
    await again.close();
  }
});

test('a model that fits (or earlyFirstModelAt 1) waits for the period as before', async () => {
  for (const [name, at, flagged] of [['fits', 0.01, 2], ['off', 1, 300]] as const) {
    const l = learnerFor(name, `  period: 1d\n  minPackets: 300\n  earlyFirstModelAt: ${at}\n`);
    try {
      l.learner.verdictWaitSeconds = 3600;
      l.learner.write(packets(300, Math.floor(Date.now() / 1000) - 10));
      l.learner.noteScored(300, flagged);
      l.learner.tick();
      assert.doesNotMatch(l.lines.join('\n'), WAITING, `${name}: ${flagged} of 300 flagged`);
    } finally {
      await l.close();
    }
  }
});

test('an early first model is trained for real and swapped in; the model of the whole period is the next retraining', async (t) => {
  const l = learnerFor('early-train', `  period: 1d
  minPackets: 3000
  training: {epochs: 1, trainStride: 32, syntheticCopies: 1}
  check: {maxFpr: 1, minSyntheticRecall: 0, minRecallOnIncidents: 0}
`);
  try {
    l.learner.verdictWaitSeconds = 0;
    // A real LAN capture, replayed until minPackets, its time moved to now (the spool keeps maxAge).
    const sample = committedSample('lan-benign.pcap');
    const t0 = Math.floor(Date.now() / 1000) - 600;
    let n = 0, first = -1, loop = 0;
    while (n < 3000) {
      const src = openCaptureFiles([sample]);
      for await (const batch of src) {
        if (first < 0) first = batch[0].tsSec;
        l.learner.write(batch.map((p) => ({ ...p, tsSec: t0 + loop * 60 + (p.tsSec - first), data: p.data.slice() })));
        n += batch.length;
      }
      loop++;
    }
    l.learner.noteScored(n, Math.ceil(n * 0.3)); // the shipped model flags 30 % of it, as on realdata-b
    l.learner.tick();
    assert.match(l.lines.join('\n'), WAITING);
    l.learner.tick(); // verdict wait 0 s: the training child starts
    assert.match(l.lines.join('\n'), /^training: first model started on \d+ spooled packets/m);
    const end = Date.now() + 240_000;
    while (l.adopted.length === 0 && !/new model refused/.test(l.lines.join('\n')) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    t.diagnostic(l.lines.filter((x) => /training|lifecycle/.test(x)).join('\n'));
    assert.equal(l.adopted.length, 1, 'the early model is swapped in');
    const s = readState(l.state)!;
    assert.equal(s.state, 'detecting');
    assert.equal(s.nextRetrainAt, new Date(Date.parse(s.learningSince) + 86400e3).toISOString(), 'the next retraining is the end of the learning period');
  } finally {
    await l.close();
  }
});
