/**
 * decodeInto (the scoring pipeline's in-place decode) against decode: the same packet, field by
 * field and in the same field order, whatever the reused object held before. The committed
 * samples and every shared sample capture (many link types, ARP, IPv6, DNS, fragments, truncated
 * and broken packets), decoded one after another into one object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, decodeInto, type DecodedPacket } from '../src/capture/decode';
import { loadSamplePackets } from './helpers/load-sample-packets';
import { ALL_SAMPLES, committedSample, sample, SKIP_NO_SAMPLES } from './helpers/samples';

async function checkFiles(files: string[]): Promise<number> {
  let reused: DecodedPacket | null = null;
  let n = 0;
  for (const file of files) {
    for (const raw of await loadSamplePackets(file)) {
      const fresh = decode(raw);
      reused = reused === null ? decode(raw) : decodeInto(reused, raw);
      assert.deepStrictEqual(reused, fresh, `${file} frame ${raw.frame}`);
      assert.deepStrictEqual(Object.keys(reused), Object.keys(fresh), 'one hidden class: the same fields in the same order');
      n++;
    }
  }
  return n;
}

test('decodeInto leaves nothing of the previous packet: committed samples', async () => {
  const n = await checkFiles(['lan-benign.pcap', 'lan-dnsshell.pcap', 'lan-portscan.pcap', 'dhcp-starvation.pcap'].map(committedSample));
  assert.ok(n > 1000, `${n} packets`);
});

test('decodeInto leaves nothing of the previous packet: every shared sample, one after another', { skip: SKIP_NO_SAMPLES }, async () => {
  // Forwards and backwards: each capture's last packet is followed by another kind in both orders.
  await checkFiles(ALL_SAMPLES.map(sample));
  await checkFiles([...ALL_SAMPLES].reverse().map(sample));
});
