/**
 * Alert rules replayed over saved scores (save-scores.ts): the per-network tables of
 * `npm run quality`, in seconds, for any scoring-stage change. Each rule turns the model's own
 * per-packet scores into a ranking score and an alert flag per packet; incidents are the
 * replay's own grouping of the flagged packets (IncidentTracker).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { recallAtFpr, rocAuc } from '../src/model/metrics';
import { poissonUpper95 } from '../src/model/false-incidents';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import { FLOW_HOLD, FlowHold, NO_FLOW, flowKey, serviceKey } from '../src/pipeline/flow-hold';
import { ActorHold, addressKey, destinationKey } from '../src/pipeline/actor-hold';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { type DevNetwork } from './dev-networks';
import { captures, packetsDir } from './save-scores';

export interface Packets {
  ts: number[]; src: (string | null)[]; dst: (string | null)[]; srcMac: (string | null)[];
  proto: number[]; sport: number[]; dport: number[]; flags: number[]; label: number[];
}

export interface Capture { name: string; packets: Packets; own: Float32Array }

/** One model's saved own scores on one network: the calibration part of train-benign and every mix. */
export interface SavedRun { net: DevNetwork; calibration: Capture; mixes: Capture[]; threshold: number }

/** One capture of `net` with a model's saved own scores (save-scores.ts). */
export function loadCapture(net: DevNetwork, scoresDir: string, name: string): Capture {
  const packets = JSON.parse(readFileSync(path.join(packetsDir(net), `${name}.json`), 'utf8')) as Packets;
  const b = readFileSync(path.join(scoresDir, `${name}.f32`));
  const own = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  if (own.length !== packets.ts.length) throw new Error(`${scoresDir}/${name}: ${own.length} scores for ${packets.ts.length} packets`);
  return { name, packets, own };
}

export function loadRun(net: DevNetwork, scoresDir: string, modelDir: string): SavedRun | null {
  if (!existsSync(path.join(scoresDir, 'train-benign.f32'))) return null;
  const load = (name: string): Capture => loadCapture(net, scoresDir, name);
  const train = load('train-benign');
  // Training holds out the last validationSplit (20%) of the capture's packets: its calibration part.
  const from = Math.floor(train.own.length * 0.8);
  const cut = <T>(a: T[]) => a.slice(from);
  const p = train.packets;
  const calibration: Capture = {
    name: 'calibration',
    packets: { ts: cut(p.ts), src: cut(p.src), dst: cut(p.dst), srcMac: cut(p.srcMac), proto: cut(p.proto), sport: cut(p.sport), dport: cut(p.dport), flags: cut(p.flags), label: cut(p.label) },
    own: train.own.slice(from),
  };
  const threshold = (JSON.parse(readFileSync(path.join(modelDir, 'threshold.json'), 'utf8')) as { value: number }).value;
  return { net, calibration, mixes: captures(net).filter((c) => c.name !== 'train-benign').map((c) => load(c.name)), threshold };
}

/** What a rule makes of one capture: a ranking score per packet, the alert flag, and when the flag was raised (capture time). */
export interface RuleOutput { score: Float32Array; flagged: Uint8Array; flaggedAt: Float64Array }

export type Rule = (c: Capture) => RuleOutput;

function asPacket(c: Capture, i: number): DecodedPacket {
  const p = c.packets;
  return { srcIp: p.src[i], dstIp: p.dst[i], srcMac: p.srcMac[i], ipProto: p.proto[i], srcPort: p.sport[i], dstPort: p.dport[i], tcpFlags: p.flags[i] } as DecodedPacket;
}

/** The rule before the actor evidence: the flow and service verdicts with their look-back and neighbours (flow-hold.ts), then the threshold. */
export function flowHoldRule(threshold: number, neighbours = true, corroboration: 1 | 2 = FLOW_HOLD.corroboration): Rule {
  return (c) => {
    const n = c.own.length;
    const score = new Float32Array(n);
    // A packet a later opening raises is flagged when that opening comes (capture time).
    const flaggedAt = Float64Array.from(c.packets.ts);
    let now = 0;
    const hold = new FlowHold((id, s) => {
      if (s > score[id]) {
        if (score[id] < threshold && s >= threshold) flaggedAt[id] = now;
        score[id] = s;
      }
    }, neighbours ? (id, s) => { score[id] = s; } : null, corroboration);
    for (let i = 0; i < n; i++) {
      const p = asPacket(c, i);
      now = c.packets.ts[i];
      // NO_SERVICE: every flow its own service (no verdict across a client's flows; the look-back stays within the flow).
      const svc = serviceKey(p);
      score[i] = hold.apply(flowKey(p), process.env.NO_SERVICE && svc !== NO_FLOW ? flowKey(p) + 1 : svc, now, i + 1, c.own[i], -1, i);
    }
    const flagged = new Uint8Array(n);
    for (let i = 0; i < n; i++) flagged[i] = score[i] >= threshold ? 1 : 0;
    return { score, flagged, flaggedAt };
  };
}

/** The rule replay uses: flowHoldRule, then the actor verdict (actor-hold.ts) in capture order, as packets are handed on. */
/** The rule replay uses (flow-hold, then the actor and target verdicts); `targets` false: without the target scope. */
export function replayRule(threshold: number, neighbours = true, targets = true): Rule {
  const base = flowHoldRule(threshold, neighbours);
  return (c) => {
    const out = base(c);
    const hold = new ActorHold(threshold);
    const p = c.packets;
    for (let i = 0; i < c.own.length; i++) {
      const target = targets ? destinationKey(p.dst[i], p.proto[i], p.dport[i]) : NO_FLOW;
      const s = hold.apply(addressKey(p.src[i] ?? p.srcMac[i]), target, flowKey(asPacket(c, i)), p.ts[i], i + 1, out.score[i]);
      if (hold.heldFrame < 0) continue;
      out.score[i] = s;
      if (!out.flagged[i] && s >= threshold) { out.flagged[i] = 1; out.flaggedAt[i] = p.ts[i]; }
    }
    return out;
  };
}

export interface MixFigures {
  mix: string;
  attackPackets: number;
  rocAuc: number | null;
  recallAt1: number | null;
  tpr: number;
  fpr: number;
  raised: boolean;
  attackIncidents: number;
  /** Seconds from the attack's first packet to its first flagged packet (null: none flagged). */
  delay: number | null;
  falseIncidents: number;
  benignPackets: number;
}

export function measure(c: Capture, out: RuleOutput, tracker = new IncidentTracker()): MixFigures {
  const n = c.own.length;
  const { label, ts } = c.packets;
  const hasAttack = new Map<number, boolean>();
  let tp = 0, fp = 0, pos = 0, firstAttack = Infinity, firstFlag = Infinity;
  for (let i = 0; i < n; i++) {
    if (label[i]) { pos++; if (ts[i] < firstAttack) firstAttack = ts[i]; }
    if (!out.flagged[i]) continue;
    if (label[i]) { tp++; if (out.flaggedAt[i] < firstFlag) firstFlag = out.flaggedAt[i]; } else fp++;
    const place = tracker.add({ runId: 1, frame: i + 1, ts: ts[i], srcMac: c.packets.srcMac[i], dstMac: null, srcIp: c.packets.src[i], dstIp: c.packets.dst[i],
      srcPort: c.packets.sport[i] >= 0 ? c.packets.sport[i] : null, dstPort: c.packets.dport[i] >= 0 ? c.packets.dport[i] : null, score: out.score[i], attentionFrame: -1 });
    hasAttack.set(place.incidentId, (hasAttack.get(place.incidentId) ?? false) || label[i] === 1);
  }
  tracker.closeAll();
  let attackIncidents = 0, falseIncidents = 0;
  for (const a of hasAttack.values()) a ? attackIncidents++ : falseIncidents++;
  return {
    mix: c.name, attackPackets: pos,
    rocAuc: rocAuc(out.score, label), recallAt1: recallAtFpr(out.score, label, 0.01),
    tpr: pos ? tp / pos : 0, fpr: fp / Math.max(1, n - pos),
    raised: attackIncidents > 0, attackIncidents,
    delay: firstFlag < Infinity ? Math.max(0, firstFlag - firstAttack) : null,
    falseIncidents, benignPackets: n - pos,
  };
}

/** The mean figures over the mixes of one run (the benign part is the same in every mix). */
export interface Summary {
  rocAuc: number; recallAt1: number; tpr: number; fpr: number; raised: number; mixes: number;
  incidentsPerAttack: number; maxIncidentsPerAttack: number; medianDelay: number | null; maxDelay: number | null;
  falsePerDay: number; falsePer10k: number;
}

export function summarise(rows: MixFigures[], heldOutDays: number): Summary {
  const mean = (k: (r: MixFigures) => number) => rows.reduce((s, r) => s + k(r), 0) / Math.max(1, rows.length);
  const delays = rows.map((r) => r.delay).filter((d): d is number => d !== null).sort((a, b) => a - b);
  return {
    rocAuc: mean((r) => r.rocAuc ?? 0), recallAt1: mean((r) => r.recallAt1 ?? 0), tpr: mean((r) => r.tpr), fpr: mean((r) => r.fpr),
    raised: rows.filter((r) => r.raised).length, mixes: rows.length,
    incidentsPerAttack: mean((r) => r.attackIncidents), maxIncidentsPerAttack: Math.max(0, ...rows.map((r) => r.attackIncidents)),
    medianDelay: delays.length ? delays[delays.length >> 1] : null, maxDelay: delays.length ? delays[delays.length - 1] : null,
    falsePerDay: mean((r) => r.falseIncidents) / heldOutDays, falsePer10k: mean((r) => (r.falseIncidents / r.benignPackets) * 1e4),
  };
}

/** The mean of several runs' summaries (seeds); delays: the worst median and the worst maximum. */
export function meanSummary(list: Summary[]): Summary {
  const m = (k: (s: Summary) => number) => list.reduce((a, s) => a + k(s), 0) / list.length;
  const worst = (k: (s: Summary) => number | null) => list.some((s) => k(s) === null) ? null : Math.max(...list.map((s) => k(s)!));
  return {
    rocAuc: m((s) => s.rocAuc), recallAt1: m((s) => s.recallAt1), tpr: m((s) => s.tpr), fpr: m((s) => s.fpr),
    raised: m((s) => s.raised), mixes: list[0].mixes, incidentsPerAttack: m((s) => s.incidentsPerAttack), maxIncidentsPerAttack: Math.max(...list.map((s) => s.maxIncidentsPerAttack)),
    medianDelay: worst((s) => s.medianDelay), maxDelay: worst((s) => s.maxDelay), falsePerDay: m((s) => s.falsePerDay), falsePer10k: m((s) => s.falsePer10k),
  };
}

const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const sec = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)} s`);

export function mixTable(rows: MixFigures[], heldOutDays: number): string {
  const out = ['| mix | attack pkts | ROC-AUC | recall @1% FPR | TPR @ rule | FPR @ rule | incident raised | incidents | first alert after | false incidents / 24 h | / 10k benign |', '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    out.push(`| ${r.mix} | ${r.attackPackets} | ${f3(r.rocAuc)} | ${f3(r.recallAt1)} | ${f3(r.tpr)} | ${(r.fpr * 100).toFixed(2)}% | ${r.raised ? 'yes' : '**no**'} | ${r.attackIncidents} | ${sec(r.delay)} | ${(r.falseIncidents / heldOutDays).toFixed(1)} | ${((r.falseIncidents / r.benignPackets) * 1e4).toFixed(2)} |`);
  }
  return out.join('\n');
}

export const SUMMARY_HEADER = '| network | model | ROC-AUC | recall @1% FPR | TPR @ rule | FPR @ rule | attacks raising an incident | incidents per attack (max) | first alert after (median / max) | false incidents / 24 h | / 10k benign |\n|---|---|---|---|---|---|---|---|---|---|---|';

export function summaryRow(net: string, model: string, s: Summary): string {
  return `| ${net} | ${model} | ${f3(s.rocAuc)} | ${f3(s.recallAt1)} | ${f3(s.tpr)} | ${(s.fpr * 100).toFixed(2)}% | ${Number.isInteger(s.raised) ? s.raised : s.raised.toFixed(1)} of ${s.mixes} | ${s.incidentsPerAttack.toFixed(1)} (${s.maxIncidentsPerAttack}) | ${sec(s.medianDelay)} / ${sec(s.maxDelay)} | ${s.falsePerDay < 100 ? s.falsePerDay.toFixed(1) : s.falsePerDay.toFixed(0)} | ${s.falsePer10k.toFixed(2)} |`;
}

/**
 * What training promises for a rule (HeldOut.falseIncidents, replayed on saved scores): the
 * incidents the calibration part (the last 20% of train-benign) raises, per day of its time, and
 * the 95% bound.
 */
export function calibrationPromise(run: SavedRun, rule: Rule): { count: number; seconds: number; perDay: number; perDayAtMost: number } {
  const c = run.calibration;
  const out = rule(c);
  const f = measure(c, out);
  const seconds = Math.max(1, c.packets.ts[c.packets.ts.length - 1] - c.packets.ts[0]);
  return { count: f.falseIncidents, seconds, perDay: f.falseIncidents / (seconds / 86400), perDayAtMost: poissonUpper95(f.falseIncidents) / (seconds / 86400) };
}
