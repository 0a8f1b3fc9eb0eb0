import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DecodedPacket } from '../src/capture/decode/decoded-packet';
import { isLlnError } from '../src/errors';
import { labelFor, parseLabelsFile, windowLabel } from '../src/train/labels';
import { readAllPackets } from '../src/pipeline/read-packets';
import { sample, SKIP_NO_SAMPLES } from './helpers/samples';

const dir = mkdtempSync(path.join(tmpdir(), 'lln-labels-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const f = path.join(dir, `l${n++}.csv`);
  writeFileSync(f, text);
  return f;
}

function pkt(over: Partial<DecodedPacket>): DecodedPacket {
  return { frame: 1, ts: 100, srcIp: null, dstIp: null, arpSenderIp: null, arpTargetIp: null, ...over } as DecodedPacket;
}

test('frame,label: 1-based frames, word labels, extra columns, unlisted frames are null', () => {
  const spec = parseLabelsFile(file('# comment\nFrame,Label,scenario\n1,0,benign\n2,attack,x\n3,Normal,y\n\n5,malicious,z\n'));
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((f) => labelFor(spec, pkt({ frame: f }))), [0, 1, 0, null, 1, null]);
});

test('start,end,label: inclusive ranges; anomalous wins on overlap', () => {
  const spec = parseLabelsFile(file('start,end,label\n100,200,benign\n150.5,160,anomaly\n'));
  assert.deepEqual([99.9, 100, 150.5, 160, 160.1, 200, 200.01].map((ts) => labelFor(spec, pkt({ ts }))), [null, 0, 1, 1, 0, 0, null]);
});

test('host,label: packets to or from the host (IPv4, IPv6 in any spelling, ARP addresses)', () => {
  const spec = parseLabelsFile(file('host,label\n10.0.0.5,1\n2001:DB8:0:0::1,1\n10.0.0.9,0\n'));
  assert.equal(labelFor(spec, pkt({ srcIp: '10.0.0.5', dstIp: '8.8.8.8' })), 1);
  assert.equal(labelFor(spec, pkt({ srcIp: '8.8.8.8', dstIp: '10.0.0.5' })), 1);
  assert.equal(labelFor(spec, pkt({ srcIp: '2001:db8::1', dstIp: '2001:db8::2' })), 1);
  assert.equal(labelFor(spec, pkt({ srcIp: '10.0.0.9', dstIp: '10.0.0.5' })), 1);
  assert.equal(labelFor(spec, pkt({ srcIp: '10.0.0.9', dstIp: '1.1.1.1' })), 0);
  assert.equal(labelFor(spec, pkt({ arpSenderIp: '10.0.0.7', arpTargetIp: '10.0.0.5' })), 1);
  assert.equal(labelFor(spec, pkt({ srcIp: '1.2.3.4', dstIp: '5.6.7.8' })), null);
});

const malformed: Array<[string, string, RegExp]> = [
  ['unknown header', 'when,what\n1,1\n', /:1: unknown header 'when,what'/],
  ['empty file', '\n# nothing\n', /:1: labels file is empty/],
  ['bad label', 'frame,label\n1,0\n2,maybe\n', /:3: bad label 'maybe'/],
  ['bad frame', 'frame,label\n0,1\n', /:2: bad frame number '0'/],
  ['fractional frame', 'frame,label\n1.5,1\n', /:2: bad frame number/],
  ['bad start', 'start,end,label\nnoon,5,1\n', /:2: bad start time 'noon'/],
  ['end before start', 'start,end,label\n10,20,0\n30,29,1\n', /:3: end 29 is before start 30/],
  ['bad IP', 'host,label\n10.0.0.256,1\n', /:2: bad IP address '10.0.0.256'/],
  ['missing column', 'start,end,label\n1,2\n', /:2: expected 3 columns/],
];
for (const [what, text, re] of malformed) {
  test(`malformed labels file: ${what} → LLN_E_LABELS with file:line`, () => {
    const f = file(text);
    assert.throws(() => parseLabelsFile(f), (e: unknown) => {
      assert.ok(isLlnError(e));
      assert.equal(e.code, 'LLN_E_LABELS');
      assert.ok(e.message.startsWith(f + ':'), e.message);
      assert.match(e.message, re);
      return true;
    });
  });
}

test('missing file → LLN_E_NOT_FOUND', () => {
  assert.throws(() => parseLabelsFile(path.join(dir, 'nope.csv')), (e: unknown) => isLlnError(e) && e.code === 'LLN_E_NOT_FOUND');
});

test('windowLabel: the fraction of the window\'s packets that are anomalous (picks and counts synthetic windows)', () => {
  const l = Uint8Array.of(0, 1, 1, 0, 0, 1);
  assert.equal(windowLabel(l), 0.5);
  assert.equal(windowLabel(l, 0, 3), 0.5);
  assert.equal(windowLabel(l, 1, 2), 1);
  assert.equal(windowLabel(l, 3, 4), 0);
  assert.equal(windowLabel(l, 2, 4), 1 / 3);
  assert.equal(windowLabel(new Uint8Array(0)), 0);
});

test('frame labels line up with a real capture across two files', { skip: SKIP_NO_SAMPLES }, async () => {
  const { packets } = await readAllPackets([sample('dns.cap'), sample('http.cap')]);
  const spec = parseLabelsFile(file(`frame,label\n${packets.map((p) => `${p.frame},${p.source.endsWith('http.cap') ? 1 : 0}`).join('\n')}\n`));
  assert.equal(packets.filter((p) => labelFor(spec, p) === 1).length, 43);
  assert.equal(packets.filter((p) => labelFor(spec, p) === 0).length, 38);
  const hostSpec = parseLabelsFile(file(`host,label\n${packets[0].srcIp},1\n`));
  const byHost = packets.filter((p) => labelFor(hostSpec, p) === 1).length;
  assert.ok(byHost > 0 && byHost < packets.length);
});
