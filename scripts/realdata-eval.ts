/**
 * Scores every mix of ../shared/realdata with one model and measures it as a user meets it:
 * per packet at the model's own threshold (TPR, FPR), false-alert incidents per 24 h of the
 * held-out benign time, and the ranking figures (ROC-AUC, PR-AUC, recall at 1% FPR).
 * Used by `npm run quality` and by the training-recipe experiments.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { prAuc, recallAtFpr, rocAuc } from '../src/model/metrics';
import type { OpenedModel } from '../src/pipeline/open-scorer';
import { scoreCapture } from '../src/pipeline/score-capture';
import { IncidentTracker } from '../src/outputs/incident-tracker';
import { PACKAGE_ROOT } from '../src/paths';

export const REALDATA_DIR = path.join(PACKAGE_ROOT, '..', 'shared', 'realdata');
/** The held-out benign part of every mix spans exactly 24 h (realdata/SOURCES.md, S to E). */
const HELD_OUT_DAYS = 1;

export interface MixResult {
  mix: string;
  packets: number;
  attackPackets: number;
  rocAuc: number | null;
  prAuc: number | null;
  recallAt1: number | null;
  tpr: number;
  fpr: number;
  falseIncidentsPerDay: number;
  /** Median score of the attack packets (how far below the threshold a miss is). */
  attackMedian: number;
  /** The false incidents themselves, one line each, for finding out what raises them. */
  falseIncidents: string[];
}

export function realdataMixes(dir = REALDATA_DIR): string[] {
  const mixes = path.join(dir, 'mixes');
  if (!existsSync(mixes)) return [];
  return readdirSync(mixes).filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();
}

function readLabels(file: string): Uint8Array {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const out = new Uint8Array(lines.length);
  for (const l of lines) {
    const [frame, label] = l.split(',');
    out[Number(frame) - 1] = label.trim() === '1' ? 1 : 0;
  }
  return out;
}

export async function evaluateMix(model: OpenedModel, mix: string, dir = REALDATA_DIR, threshold = model.threshold, stride?: number): Promise<MixResult> {
  const labels = readLabels(path.join(dir, 'mixes', `${mix}.labels.csv`));
  const scores = new Float32Array(labels.length);
  // An incident is false when none of its packets is an attack packet.
  const tracker = new IncidentTracker();
  const hasAttack = new Map<number, boolean>();
  let n = 0;
  await scoreCapture([path.join(dir, 'mixes', `${mix}.pcap`)], model, { stride }, (p, s) => {
    scores[n] = s;
    if (s >= threshold) {
      const place = tracker.add({
        runId: 1, frame: p.frame, ts: p.ts, srcMac: p.srcMac, dstMac: p.dstMac, srcIp: p.srcIp ?? p.arpSenderIp, dstIp: p.dstIp ?? p.arpTargetIp,
        srcPort: p.srcPort >= 0 ? p.srcPort : null, dstPort: p.dstPort >= 0 ? p.dstPort : null, score: s, attentionFrame: -1,
      });
      hasAttack.set(place.incidentId, (hasAttack.get(place.incidentId) ?? false) || labels[n] === 1);
    }
    n++;
  });
  if (n !== labels.length) throw new Error(`${mix}: ${n} packets scored but ${labels.length} labels`);
  let tp = 0, fp = 0, pos = 0;
  const attack: number[] = [];
  for (let i = 0; i < n; i++) {
    if (labels[i]) { pos++; attack.push(scores[i]); if (scores[i] >= threshold) tp++; } else if (scores[i] >= threshold) fp++;
  }
  attack.sort((a, b) => a - b);
  const falseIncidents = tracker.closeAll().filter((r) => !hasAttack.get(r.id)).map((r) =>
    `${new Date(r.startTs * 1000).toISOString()} ${Math.round(r.endTs - r.startTs)} s, ${r.packets} pkts, max ${r.maxScore.toFixed(3)}: ` +
    `${r.mainSource} -> ${r.mainTarget} ports ${r.ports.slice(0, 6).join(',')}`);
  return {
    mix, packets: n, attackPackets: pos,
    rocAuc: rocAuc(scores, labels), prAuc: prAuc(scores, labels), recallAt1: recallAtFpr(scores, labels, 0.01),
    tpr: pos ? tp / pos : 0, fpr: fp / (n - pos), falseIncidentsPerDay: falseIncidents.length / HELD_OUT_DAYS,
    attackMedian: attack.length ? attack[attack.length >> 1] : 0,
    falseIncidents,
  };
}

const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

export function realdataTable(rows: MixResult[]): string {
  const out = ['| mix | attack pkts | ROC-AUC | PR-AUC | recall @1% FPR | TPR @ thr | FPR @ thr | false incidents / 24 h | attack median |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    out.push(`| ${r.mix} | ${r.attackPackets} | ${f3(r.rocAuc)} | ${f3(r.prAuc)} | ${f3(r.recallAt1)} | ${f3(r.tpr)} | ${r.fpr.toFixed(4)} | ${r.falseIncidentsPerDay} | ${r.attackMedian.toFixed(3)} |`);
  }
  const mean = (k: (r: MixResult) => number | null) => rows.reduce((s, r) => s + (k(r) ?? 0), 0) / Math.max(1, rows.length);
  const met = rows.filter((r) => (r.rocAuc ?? 0) >= 0.99 && (r.recallAt1 ?? 0) >= 0.95 && r.tpr >= 0.9 && r.fpr <= 0.005 && r.falseIncidentsPerDay <= 2).length;
  out.push(`| **mean** | | ${f3(mean((r) => r.rocAuc))} | ${f3(mean((r) => r.prAuc))} | ${f3(mean((r) => r.recallAt1))} | ${f3(mean((r) => r.tpr))} | ${mean((r) => r.fpr).toFixed(4)} | ${mean((r) => r.falseIncidentsPerDay).toFixed(1)} | |`);
  out.push('', `${met} of ${rows.length} mixes meet every target (ROC-AUC ≥ 0.99, recall ≥ 0.95 at 1% FPR, TPR ≥ 0.90 and FPR ≤ 0.5% at the threshold, ≤ 2 false incidents / 24 h).`);
  return out.join('\n');
}
