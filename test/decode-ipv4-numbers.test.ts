import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../src/capture/decode';
import { ipv4Number } from '../src/capture/decode/addr-format';
import { openCaptureFiles } from '../src/capture/file-source';
import { ALL_SAMPLES, SKIP_NO_SAMPLES, sample } from './helpers/samples';

// The context tables key IPv4 hosts by the numbers the decoder reads; they must name exactly the
// addresses the strings name, and be -1 wherever there is no IPv4 address (IPv6, MAC-only, none).
test('decoded IPv4 and ARP address numbers agree with the address strings on every sample', { skip: SKIP_NO_SAMPLES }, async () => {
  let ipv4 = 0;
  let arp = 0;
  const expect = (s: string | null): number => (s === null ? -1 : ipv4Number(s));
  for (const name of ALL_SAMPLES) {
    for await (const batch of openCaptureFiles([sample(name)])) {
      for (const raw of batch) {
        const p = decode(raw);
        const where = `${name} frame ${p.frame}`;
        assert.equal(p.srcIpv4, p.l3 === 'ipv4' ? expect(p.srcIp) : -1, where);
        assert.equal(p.dstIpv4, p.l3 === 'ipv4' ? expect(p.dstIp) : -1, where);
        assert.equal(p.arpSenderIpv4, expect(p.arpSenderIp), where);
        assert.equal(p.arpTargetIpv4, expect(p.arpTargetIp), where);
        if (p.srcIpv4 >= 0) ipv4++;
        if (p.arpSenderIpv4 >= 0) arp++;
      }
    }
  }
  assert.ok(ipv4 > 500 && arp > 100, `samples exercise both: ${ipv4} IPv4, ${arp} ARP packets`);
});
