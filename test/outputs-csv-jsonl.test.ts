import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isLlnError } from '../src/errors';
import { csvCell } from '../src/outputs/csv-cell';
import { CSV_HEADER, CsvSink } from '../src/outputs/csv-sink';
import { JsonlSink } from '../src/outputs/jsonl-sink';
import type { AnomalyRecord } from '../src/outputs/records';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (ext: string): string => path.join(dir, `t${++n}${ext}`);

function row(i: number, over: Partial<AnomalyRecord> = {}): AnomalyRecord {
  return {
    runId: 3, frame: i, ts: 1714557600.123456 + i, tsIso: '2024-05-01T10:00:00.123456Z', source: 'cap.pcap', interfaceId: 1,
    srcMac: '00:11:22:33:44:55', dstMac: null, srcIp: '10.0.0.1', dstIp: 'fe80::1', srcPort: 53, dstPort: null, protocol: 'UDP',
    length: 80, score: 0.97, threshold: 0.9, incidentId: 2, attentionFrame: i - 2, topFeatures: 'iat_flow=-3.1σ, len=+2σ',
    communityId: '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', ...over,
  };
}

/** A strict RFC 4180 reader (quoted fields with doubled quotes, CR/LF inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let fields: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cur += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else (cur += c), i++;
    } else if (c === '"') {
      assert.equal(cur, '', 'quote only at the start of a field');
      quoted = true;
      i++;
    } else if (c === ',') fields.push(cur), (cur = ''), i++;
    else if (c === '\n') fields.push(cur), rows.push(fields), (fields = []), (cur = ''), i++;
    else (cur += c), i++;
  }
  assert.equal(quoted, false, 'unterminated quote');
  assert.equal(cur + fields.join(''), '', 'file ends with a newline');
  return rows;
}

test('csv: RFC 4180 quoting and formula-injection neutralisation survive a round trip', () => {
  const p = file('.csv');
  const evil = ['=cmd|\' /C calc\'!A0', '+SUM(A1:A9)', '-2+3', '@SUM(1)', '\tpadded', '\rx', 'a,b "quoted"\nnext line', 'plain.pcap'];
  const sink = new CsvSink(p);
  sink.writeAnomalies(evil.map((s, i) => row(i + 1, { source: s, topFeatures: s, srcPort: i === 0 ? null : 53 })));
  sink.close();
  const rows = parseCsv(readFileSync(p, 'utf8'));
  assert.equal(rows[0].join(','), CSV_HEADER);
  const col = (name: string): number => rows[0].indexOf(name);
  assert.equal(rows.length, evil.length + 1);
  evil.forEach((s, i) => {
    const want = /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
    assert.equal(rows[i + 1][col('source')], want, JSON.stringify(s));
    assert.equal(rows[i + 1][col('top_features')], want);
    for (const cell of rows[i + 1]) assert.doesNotMatch(cell, /^[=+@\t\r]/, 'no cell starts a formula');
  });
  assert.equal(rows[1][col('src_port')], '', 'null is an empty cell');
  assert.equal(rows[1][col('dst_ip')], 'fe80::1');
  assert.equal(rows[1][col('ts')], '1714557601.123456');
  // Numbers the program formats are not prefixed; text that looks like one is.
  assert.equal(csvCell(-3.5), '-3.5');
  assert.equal(csvCell('-3.5'), "'-3.5");
});

test('csv: appending keeps one header; another header is refused', () => {
  const p = file('.csv');
  for (const batch of [[1, 2], [3, 4, 5]]) {
    const s = new CsvSink(p);
    s.writeAnomalies(batch.map((i) => row(i)));
    s.close();
  }
  const rows = parseCsv(readFileSync(p, 'utf8'));
  assert.equal(rows.filter((r) => r.join(',') === CSV_HEADER).length, 1);
  assert.deepEqual(rows.slice(1).map((r) => r[1]), ['1', '2', '3', '4', '5']);

  const other = file('.csv');
  writeFileSync(other, 'a,b\n1,2\n');
  assert.throws(() => new CsvSink(other), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_OUTPUT' && /header/.test(e.message));
  assert.equal(readFileSync(other, 'utf8'), 'a,b\n1,2\n', 'foreign file untouched');
});

test('csv: reopen() after logrotate moved the file continues in a new file with a header', () => {
  const p = file('.csv');
  const sink = new CsvSink(p);
  sink.writeAnomalies([row(1), row(2)]);
  renameSync(p, p + '.1');
  sink.writeAnomalies([row(3)]); // still goes to the moved file until reopen
  sink.reopen();
  sink.writeAnomalies([row(4)]);
  sink.close();
  assert.deepEqual(parseCsv(readFileSync(p + '.1', 'utf8')).slice(1).map((r) => r[1]), ['1', '2', '3']);
  const fresh = parseCsv(readFileSync(p, 'utf8'));
  assert.equal(fresh[0].join(','), CSV_HEADER);
  assert.deepEqual(fresh.slice(1).map((r) => r[1]), ['4']);
});

test('csv: rotation by size and by UTC day; no row lost, every file has its header', () => {
  const sub = path.join(dir, 'rot');
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub);
  const p = path.join(sub, 'alerts.csv');
  let now = Date.UTC(2024, 4, 1, 23, 59, 0);
  const sink = new CsvSink(p, { rotate: { maxBytes: 4000, daily: true }, now: () => now });
  let frame = 0;
  for (let b = 0; b < 20; b++) sink.writeAnomalies([row(++frame), row(++frame)]);
  now = Date.UTC(2024, 4, 2, 0, 0, 30);
  sink.writeAnomalies([row(++frame)]);
  sink.close();
  const files = readdirSync(sub).sort();
  assert.ok(files.length >= 3, files.join(' '));
  assert.ok(files.every((f) => /^alerts(\.\d{8}T\d{6}Z(-\d+)?)?\.csv$/.test(f)), files.join(' '));
  const frames: number[] = [];
  for (const f of files) {
    const text = readFileSync(path.join(sub, f), 'utf8');
    if (f !== 'alerts.csv') assert.ok(Buffer.byteLength(text) <= 4000, `${f} within maxBytes`);
    const rows = parseCsv(text);
    assert.equal(rows[0].join(','), CSV_HEADER, f);
    frames.push(...rows.slice(1).map((r) => Number(r[1])));
  }
  assert.deepEqual(frames.sort((a, b) => a - b), Array.from({ length: frame }, (_, i) => i + 1));
  // The day change rotated: the live file holds only the new day's row.
  assert.deepEqual(parseCsv(readFileSync(p, 'utf8')).slice(1).map((r) => Number(r[1])), [frame]);
});

test('jsonl: one object per anomaly and incident update, CSV column names', () => {
  const p = file('.jsonl');
  const sink = new JsonlSink(p);
  sink.writeAnomalies([row(1), row(2, { incidentId: 0 })]);
  sink.upsertIncidents([
    { id: 2, runId: 3, firstFrame: 1, lastFrame: 2, startTs: 1714557600.5, endTs: 1714557601, hosts: ['10.0.0.1'], ports: [53], mainSource: '10.0.0.1', mainTarget: null, sources: 1, targets: 0, packets: 3, anomalies: 2, suppressed: 1, maxScore: 0.97, attentionFrame: 0, topFeatures: 'x' },
  ]);
  sink.close();
  const lines = readFileSync(p, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.type), ['anomaly', 'anomaly', 'incident']);
  assert.deepEqual(Object.keys(lines[0]).slice(1), CSV_HEADER.split(','));
  assert.equal(lines[0].top_features, 'iat_flow=-3.1σ, len=+2σ');
  assert.equal(lines[0].dst_port, null);
  assert.equal(lines[1].incident_id, null);
  assert.deepEqual([lines[2].id, lines[2].hosts, lines[2].suppressed, lines[2].start_iso], [2, ['10.0.0.1'], 1, '2024-05-01T10:00:00.500000Z']);
  assert.deepEqual([lines[2].main_source, lines[2].main_target, lines[2].sources, lines[2].targets], ['10.0.0.1', null, 1, 0]);
  assert.ok(!existsSync(p + '.1'));
});

test('jsonl: U+0085, U+2028 and U+2029 are escaped, so every reader sees one record per line', () => {
  const p = file('.jsonl');
  const sink = new JsonlSink(p);
  const hostile = 'evil\u2028name\u2029x\u0085y.example';
  sink.writeAnomalies([row(1, { source: hostile, topFeatures: hostile })]);
  sink.close();
  const text = readFileSync(p, 'utf8');
  assert.doesNotMatch(text, /[\u0085\u2028\u2029]/);
  // What Python's splitlines() or a Unicode-aware shipper would split on.
  const lines = text.split(/\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]/).filter(Boolean);
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]).source, hostile, 'the same string once parsed');
});
