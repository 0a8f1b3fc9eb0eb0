/** The incident page's evidence tally (src/ui/evidence.ts): features named most, and the frames whose verdict packets hold, actor verdicts included. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tallyEvidence } from '../src/ui/evidence';
import type { AnomalyRow } from '../src/ui/alert-source';

const row = (frame: number, topFeatures: string) => ({ frame, topFeatures }) as AnomalyRow;

test('the tally counts flow, service, actor and target verdicts by the frame that earned them, and the features', () => {
  const t = tallyEvidence([
    row(1, 'proto_icmp=+6.0σ, icmp_error=+6.0σ'),
    row(20, 'actor verdict of frame 20; proto_icmp=+5.1σ'),
    row(21, 'actor verdict of frame 20'),
    row(22, 'actor verdict of frame 20; icmp_error=-2.0σ'),
    row(30, 'flow verdict of frame 29; tcp_syn=+5.9σ'),
    row(31, 'service verdict of frame 29'),
    row(40, 'target verdict of frame 40; tcp_syn=+4.0σ'),
    row(41, 'target verdict of frame 40'),
  ]);
  assert.deepEqual(t.verdicts, [
    { kind: 'actor', frame: 20, packets: 3 },
    { kind: 'target', frame: 40, packets: 2 },
    { kind: 'flow', frame: 29, packets: 1 },
    { kind: 'service', frame: 29, packets: 1 },
  ]);
  assert.deepEqual(t.features.slice(0, 2), [
    { name: 'proto_icmp', packets: 2, maxSigma: 6 },
    { name: 'icmp_error', packets: 2, maxSigma: 6 },
  ]);
});
