import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { FeatureExtractor } from '../features/feature-extractor';
import { FEATURE_COUNT } from '../features/schema';
import type { Scaler } from '../features/scaler';
import { flowKey, serviceKey } from '../pipeline/flow-hold';
import { actorKey, targetKey } from '../pipeline/actor-hold';

/**
 * Per-packet feature rows of one packet stream, plus per-packet labels. Training keeps these
 * (F floats a packet) instead of windows (W×F floats a window): W times less memory, and windows
 * are cut from the rows batch by batch.
 */
export interface FeatureMatrix {
  rows: Float32Array;
  labels: Uint8Array;
  n: number;
  /** Per packet its flowKey, serviceKey and capture time: training's calibration applies the flow verdict as replay does. */
  flows: Float64Array;
  services: Float64Array;
  times: Float64Array;
  /**
   * A captured stream's hosts per packet (IP, else MAC) and its actorKey and targetKey, kept for
   * the incidents its held-out part would raise (HeldOut.falseIncidents); null for copies and variants.
   */
  hosts: { src: (string | null)[]; dst: (string | null)[]; actors: Float64Array; targets: Float64Array } | null;
}

/** Run the same FeatureExtractor the scorer uses over a packet stream (fresh context state). */
export function extractMatrix(packets: DecodedPacket[], labels: Uint8Array, withHosts = false): FeatureMatrix {
  const F = FEATURE_COUNT;
  const rows = new Float32Array(packets.length * F);
  const flows = new Float64Array(packets.length);
  const services = new Float64Array(packets.length);
  const times = new Float64Array(packets.length);
  const extractor = new FeatureExtractor();
  for (let i = 0; i < packets.length; i++) {
    extractor.extract(packets[i], rows, i * F);
    flows[i] = flowKey(packets[i]);
    services[i] = serviceKey(packets[i]);
    times[i] = packets[i].ts;
  }
  const hosts = withHosts ? {
    src: packets.map((p) => p.srcIp ?? p.arpSenderIp ?? p.srcMac), dst: packets.map((p) => p.dstIp ?? p.arpTargetIp ?? p.dstMac),
    actors: Float64Array.from(packets, actorKey), targets: Float64Array.from(packets, targetKey),
  } : null;
  return { rows, labels, n: packets.length, flows, services, times, hosts };
}

/** Scale every row in place with the scaler's own transform (the one replay uses). */
export function scaleMatrix(m: FeatureMatrix, scaler: Scaler): void {
  const F = FEATURE_COUNT;
  for (let i = 0; i < m.n; i++) scaler.transform(m.rows, i * F);
}
