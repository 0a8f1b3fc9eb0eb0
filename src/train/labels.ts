import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { LlnError } from '../errors';

/**
 * A user's ground truth, in one of three CSV forms (chosen by the header line):
 *   frame,label        1-based frame numbers across the given captures in order
 *   start,end,label    epoch-second ranges, both ends inclusive
 *   host,label         every packet to or from that IP address (ARP: sender or target)
 * Extra columns are ignored (the generator writes frame,label,scenario).
 */
export type LabelSpec =
  | { form: 'frame'; file: string; /** index = frame; 0/1, 255 = not listed */ byFrame: Uint8Array }
  | { form: 'range'; file: string; ranges: Array<{ start: number; end: number; label: 0 | 1 }> }
  | { form: 'host'; file: string; byHost: Map<string, 0 | 1> };

const LABEL_WORDS: Record<string, 0 | 1> = {
  '0': 0, benign: 0, normal: 0, '1': 1, attack: 1, anomaly: 1, anomalous: 1, malicious: 1,
};
const UNKNOWN = 255;

export function parseLabelsFile(path: string): LabelSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LlnError('LLN_E_NOT_FOUND', `labels file ${path} does not exist; check the --labels path`);
    if (code === 'EISDIR') throw new LlnError('LLN_E_IS_DIR', `labels file ${path} is a directory; give a CSV file`);
    throw new LlnError('LLN_E_UNREADABLE', `cannot read labels file ${path}: ${(e as Error).message}`);
  }
  return parseLabelsText(text, path);
}

/** Parse CSV text (exported for callers that already hold the text); `file` names it in errors. */
export function parseLabelsText(text: string, file: string): LabelSpec {
  const lines = text.split(/\r?\n/);
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l !== '' && !l.startsWith('#')) {
      headerLine = i;
      break;
    }
  }
  const fail = (line: number, what: string): never => {
    throw new LlnError('LLN_E_LABELS', `${file}:${line}: ${what}`);
  };
  if (headerLine < 0) fail(1, 'labels file is empty; write a header (frame,label | start,end,label | host,label) and rows');
  const cols = splitCsv(lines[headerLine]).map((c) => c.toLowerCase());
  const col = (name: string): number => cols.indexOf(name);
  const iLabel = col('label');
  const iFrame = col('frame');
  const iStart = col('start');
  const iEnd = col('end');
  const iHost = col('host') >= 0 ? col('host') : col('ip');
  let form: LabelSpec['form'];
  if (iLabel >= 0 && iFrame >= 0) form = 'frame';
  else if (iLabel >= 0 && iStart >= 0 && iEnd >= 0) form = 'range';
  else if (iLabel >= 0 && iHost >= 0) form = 'host';
  else return fail(headerLine + 1, `unknown header '${lines[headerLine].trim()}'; use frame,label or start,end,label or host,label`);

  let byFrame = new Uint8Array(1024).fill(UNKNOWN);
  const ranges: Array<{ start: number; end: number; label: 0 | 1 }> = [];
  const byHost = new Map<string, 0 | 1>();
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const lineNo = i + 1;
    const f = splitCsv(raw);
    if (f.length < cols.length) fail(lineNo, `expected ${cols.length} columns (${cols.join(',')}), found ${f.length}`);
    const label = LABEL_WORDS[f[iLabel].toLowerCase()];
    if (label === undefined) fail(lineNo, `bad label '${f[iLabel]}'; use 0/1 or benign/normal/attack/anomaly/malicious`);
    if (form === 'frame') {
      const frame = Number(f[iFrame]);
      if (!Number.isInteger(frame) || frame < 1 || f[iFrame] === '') fail(lineNo, `bad frame number '${f[iFrame]}'; frames are whole numbers from 1`);
      if (frame >= byFrame.length) {
        const grown = new Uint8Array(Math.max(frame + 1, byFrame.length * 2)).fill(UNKNOWN);
        grown.set(byFrame);
        byFrame = grown;
      }
      // A frame listed twice with different labels counts as anomalous.
      byFrame[frame] = byFrame[frame] === 1 ? 1 : label;
    } else if (form === 'range') {
      const start = parseNumber(f[iStart]);
      const end = parseNumber(f[iEnd]);
      if (start === null) fail(lineNo, `bad start time '${f[iStart]}'; use epoch seconds, e.g. 1709542800.25`);
      if (end === null) fail(lineNo, `bad end time '${f[iEnd]}'; use epoch seconds, e.g. 1709542860`);
      if (end! < start!) fail(lineNo, `end ${f[iEnd]} is before start ${f[iStart]}`);
      ranges.push({ start: start!, end: end!, label });
    } else {
      const host = canonicalIp(f[iHost]);
      if (host === null) fail(lineNo, `bad IP address '${f[iHost]}'`);
      byHost.set(host!, byHost.get(host!) === 1 ? 1 : label);
    }
  }
  if (form === 'frame') return { form, file, byFrame };
  if (form === 'range') return { form, file, ranges };
  return { form, file, byHost };
}

/**
 * The label a spec gives a packet, or null when the spec says nothing about it. Rule for null
 * (docs/training.md): callers treat it as benign (0). Where rules overlap, anomalous wins.
 */
export function labelFor(spec: LabelSpec, p: DecodedPacket): 0 | 1 | null {
  if (spec.form === 'frame') {
    const v = p.frame < spec.byFrame.length ? spec.byFrame[p.frame] : UNKNOWN;
    return v === UNKNOWN ? null : (v as 0 | 1);
  }
  if (spec.form === 'range') {
    let r: 0 | 1 | null = null;
    for (const x of spec.ranges) {
      if (p.ts >= x.start && p.ts <= x.end) {
        if (x.label === 1) return 1;
        r = 0;
      }
    }
    return r;
  }
  let r: 0 | 1 | null = null;
  for (const ip of [p.srcIp, p.dstIp, p.arpSenderIp, p.arpTargetIp]) {
    if (ip === null) continue;
    const v = spec.byHost.get(ip) ?? spec.byHost.get(canonicalIp(ip) ?? ip);
    if (v === 1) return 1;
    if (v === 0) r = 0;
  }
  return r;
}

/**
 * The fraction of the window's packets (first..end, inclusive) that are anomalous. Training
 * targets are per packet (window-refs.ts, cutLabels); this picks the synthetic windows worth
 * training on (those holding an anomaly) and counts them.
 */
export function windowLabel(labels: ArrayLike<number>, first = 0, end = labels.length - 1): number {
  if (end < first || end < 0) return 0;
  let n = 0;
  for (let i = first; i <= end; i++) if (labels[i]) n++;
  return n / (end - first + 1);
}

function splitCsv(line: string): string[] {
  return line.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
}

function parseNumber(s: string): number | null {
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** IPv4 as written; IPv6 in canonical compressed form (what the decoder prints). */
function canonicalIp(s: string): string | null {
  const v = isIP(s);
  if (v === 4) return s;
  if (v === 6) return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  return null;
}
