/**
 * The actor verdict (src/pipeline/actor-hold.ts): a source's tenth attempt within 5 minutes that
 * the model calls more likely anomalous than not is held at the alert threshold, with the rest of
 * its flow; fewer, slower or calmer attempts hold nothing. Then end to end on a real network:
 * realdata's BlackNurse ICMP flood, whose packets the shipped model scores between 0.5 and the
 * threshold.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ACTOR_HOLD, ActorHold, addressKey, destinationKey } from '../src/pipeline/actor-hold';
import { NO_FLOW } from '../src/pipeline/flow-hold';
import { PACKAGE_ROOT } from '../src/paths';
import { runCli } from './helpers/cli';

const THR = 0.99;
/** Scores are float32: a held packet scores the smallest float32 at or above the threshold. */
const HELD = new Float32Array([THR])[0] >= THR ? new Float32Array([THR])[0] : new Float32Array(new Int32Array([new Int32Array(new Float32Array([THR]).buffer)[0] + 1]).buffer)[0];

test('a held score stays at or above the threshold once stored as float32', () => {
  for (const t of [0.9, 0.99, 0.992, 0.5]) {
    const hold = new ActorHold(t);
    assert.ok(new Float32Array([hold.threshold])[0] >= t, `${t}: ${hold.threshold}`);
    assert.ok(hold.threshold - t < 1e-7);
  }
});
const attacker = addressKey('10.0.0.66');

/** A destination of its own per attempt: only the source's count can add up. */
const elsewhere = (i: number) => destinationKey(`10.0.9.${i % 250}`, 6, 22 + Math.floor(i / 250));

/** `n` attempts (each its own flow, each at another destination) from one actor, `gap` seconds apart, scoring `score`; the held scores. */
function attempts(hold: ActorHold, n: number, gap: number, score: number, from = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(hold.apply(attacker, elsewhere(from + i), 1000 + from + i, 100 + (from + i) * gap, from + i + 1, score));
  return out;
}

test('the tenth odd attempt within the window is held at the threshold, the nine before it keep their scores', () => {
  const hold = new ActorHold(THR);
  const out = attempts(hold, 12, 2, 0.6);
  assert.deepEqual(out.slice(0, ACTOR_HOLD.attempts - 1), new Array(ACTOR_HOLD.attempts - 1).fill(0.6));
  assert.deepEqual(out.slice(ACTOR_HOLD.attempts - 1), [HELD, HELD, HELD]);
  // The held attempt's flow goes on held (its later packets), up to the flow's packet limit.
  const tenthFlow = 1000 + ACTOR_HOLD.attempts - 1;
  assert.equal(hold.apply(attacker, NO_FLOW, tenthFlow, 125, 50, 0.01), HELD);
  assert.equal(hold.heldFrame, ACTOR_HOLD.attempts, 'a held flow packet names the attempt that earned the verdict');
  assert.equal(hold.heldBy, 'actor');
  // An earlier attempt's flow (not held) keeps its packets' scores.
  assert.equal(hold.apply(attacker, NO_FLOW, 1000, 125, 51, 0.01), 0.01);
  assert.equal(hold.heldFrame, -1);
});

test('nine odd attempts, ten spread over more than the window, or ten calm ones hold nothing', () => {
  assert.ok(attempts(new ActorHold(THR), ACTOR_HOLD.attempts - 1, 1, 0.9).every((s) => s === 0.9));
  const slow = (ACTOR_HOLD.seconds + 1) / (ACTOR_HOLD.attempts - 1);
  assert.ok(attempts(new ActorHold(THR), 30, slow, 0.9).every((s) => s === 0.9));
  assert.ok(attempts(new ActorHold(THR), 30, 1, ACTOR_HOLD.level - 0.01).every((s) => s === ACTOR_HOLD.level - 0.01));
});

test('packets of one flow are one attempt; portless packets (ICMP, ARP) are each an attempt', () => {
  const flow = new ActorHold(THR);
  for (let i = 0; i < 30; i++) assert.equal(flow.apply(attacker, elsewhere(0), 77, 100 + i, i + 1, 0.8), 0.8);
  const portless = new ActorHold(THR);
  const out: number[] = [];
  for (let i = 0; i < 12; i++) out.push(portless.apply(attacker, elsewhere(i), NO_FLOW, 100 + i, i + 1, 0.8));
  assert.equal(out.filter((s) => s === HELD).length, 12 - ACTOR_HOLD.attempts + 1);
  // Other actors' attempts do not add up with it.
  const mixed = new ActorHold(THR);
  for (let i = 0; i < 20; i++) assert.equal(mixed.apply(addressKey(`10.0.1.${i}`), elsewhere(i), NO_FLOW, 100 + i, i + 1, 0.8), 0.8);
});

test('the target verdict: the tenth odd attempt at one destination (address, protocol, port) from any sources is held', () => {
  const victim = destinationKey('10.0.0.5', 6, 80);
  const hold = new ActorHold(THR);
  const out: number[] = [];
  // A spoofed flood: every attempt from another source, each source under its own count.
  for (let i = 0; i < 12; i++) out.push(hold.apply(addressKey(`203.0.113.${i}`), victim, 5000 + i, 100 + i * 0.01, i + 1, 0.7));
  assert.deepEqual(out, [...new Array(ACTOR_HOLD.attempts - 1).fill(0.7), HELD, HELD, HELD]);
  assert.equal(hold.heldBy, 'target');
  assert.equal(hold.heldFrame, 12);
  // Another port of the same host, or calm attempts at the same one, do not add up with it.
  const other = new ActorHold(THR);
  for (let i = 0; i < 12; i++) assert.equal(other.apply(addressKey(`203.0.113.${i}`), destinationKey('10.0.0.5', 6, 1000 + i), 5000 + i, 100 + i, i + 1, 0.7), 0.7);
  const calm = new ActorHold(THR);
  for (let i = 0; i < 30; i++) assert.equal(calm.apply(addressKey(`203.0.113.${i}`), victim, 5000 + i, 100 + i, i + 1, 0.4), 0.4);
  // The protocol is part of the target: TCP and UDP attempts at port 53 count apart.
  const mixedProto = new ActorHold(THR);
  for (let i = 0; i < 18; i++) assert.equal(mixedProto.apply(addressKey(`203.0.113.${i}`), destinationKey('10.0.0.5', i % 2 ? 6 : 17, 53), 5000 + i, 100 + i, i + 1, 0.7), 0.7, "nine of each protocol");
});

const REALDATA = path.join(PACKAGE_ROOT, '..', 'shared', 'realdata', 'mixes');
const FLOOD = path.join(REALDATA, 'icmp-flood-blacknurse.pcap');
const tmp = mkdtempSync(path.join(tmpdir(), 'lln-detect-actor-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('realdata BlackNurse flood, shipped model: the actor verdict flags the flood the model scores below its threshold',
  { skip: existsSync(FLOOD) ? false : '../shared/realdata not found: skipping' }, () => {
    const db = path.join(tmp, 'flood.db');
    const scoresCsv = path.join(tmp, 'scores.csv');
    const r = runCli(['replay', FLOOD, '--db', db, '--no-csv', '--scores-csv', scoresCsv, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const labels = readFileSync(FLOOD.replace(/\.pcap$/, '.labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    const scores = readFileSync(scoresCsv, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    assert.equal(scores.length, labels.length);
    const d = new Database(db, { readonly: true });
    const threshold = (d.prepare('SELECT threshold FROM runs').get() as { threshold: number }).threshold;
    const actorRows = d.prepare("SELECT frame, top_features AS top FROM anomalies WHERE top_features LIKE 'actor verdict of frame %'").all() as Array<{ frame: number; top: string }>;
    d.close();
    // Measured: 0.626 of the 3,000 flood packets flagged (0.043 without the actor verdict), FPR unchanged at 0.19%.
    let pos = 0, tp = 0, neg = 0, fp = 0;
    labels.forEach((y, i) => {
      if (y === 1) { pos++; if (scores[i] >= threshold) tp++; } else { neg++; if (scores[i] >= threshold) fp++; }
    });
    assert.ok(tp / pos >= 0.5, `recall at the threshold ${(tp / pos).toFixed(3)} (${tp} of ${pos})`);
    assert.ok(fp / neg <= 0.005, `FPR ${(fp / neg).toFixed(4)}`);
    assert.ok(actorRows.length > 0, 'no row explained by the actor verdict');
    for (const row of actorRows) {
      assert.equal(labels[row.frame - 1], 1, `frame ${row.frame} holds an actor verdict but is benign`);
      assert.equal(labels[Number(/^actor verdict of frame (\d+)/.exec(row.top)![1]) - 1], 1, `frame ${row.frame}'s actor verdict names a benign frame`);
    }
  });

const SYN_FLOOD = path.join(PACKAGE_ROOT, '..', 'shared', 'realdata-b', 'mixes', 'syn-flood-spoofed.pcap');

test('realdata-b spoofed SYN flood: each source makes one attempt, and the target verdict flags the flood at its victim',
  { skip: existsSync(SYN_FLOOD) ? false : '../shared/realdata-b not found: skipping' }, () => {
    // A threshold above what the flood's packets reach by their own scores and the flow and
    // service verdicts (the shipped model holds them at 0.9–0.99999), as on a user model whose
    // flood packets score between 0.5 and its threshold: what is left to flag them is the count
    // of odd attempts at one service.
    const db = path.join(tmp, 'synflood.db');
    const r = runCli(['replay', SYN_FLOOD, '--db', db, '--no-csv', '--quiet', '--threshold', '0.999999']);
    assert.equal(r.code, 0, r.stderr);
    const labels = readFileSync(SYN_FLOOD.replace(/\.pcap$/, '.labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    const d = new Database(db, { readonly: true });
    const rows = d.prepare("SELECT frame, dst_ip AS dst, top_features AS top FROM anomalies WHERE top_features LIKE 'target verdict of frame %'").all() as Array<{ frame: number; dst: string; top: string }>;
    const incident = d.prepare('SELECT main_target AS target FROM incidents ORDER BY anomalies DESC LIMIT 1').get() as { target: string };
    d.close();
    assert.ok(rows.length >= 500, `${rows.length} rows hold a target verdict`);
    for (const row of rows) {
      assert.equal(labels[row.frame - 1], 1, `frame ${row.frame} holds a target verdict but is benign`);
      assert.equal(labels[Number(/^target verdict of frame (\d+)/.exec(row.top)![1]) - 1], 1, `frame ${row.frame}'s target verdict names a benign frame`);
    }
    assert.equal(new Set(rows.map((r) => r.dst)).size, 1, 'one victim');
    assert.equal(incident.target, rows[0].dst, 'the incident names the victim as its target');
  });
