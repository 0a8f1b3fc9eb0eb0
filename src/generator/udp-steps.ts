import type { ScriptStep } from './script-actor';
import { Ip6, Mac, UDP4_PAYLOAD, UDP6_PAYLOAD, V4Hop, V6Hop, udp4, udp6 } from './frame-builder';

/** Writes a UDP payload at `off` and returns its length. */
export type PayloadFn = (b: Uint8Array, off: number) => number;

export function hop4(srcMac: Mac, dstMac: Mac, srcIp: number, dstIp: number, ttl: number, ipId: number): V4Hop {
  return { srcMac, dstMac, srcIp, dstIp, ttl, ipId };
}

export function udp4Step(t: number, h: V4Hop, sport: number, dport: number, payload: PayloadFn): ScriptStep {
  return { t, fn: (b) => udp4(b, h, sport, dport, payload(b, UDP4_PAYLOAD)) };
}

export function hop6(srcMac: Mac, dstMac: Mac, srcIp: Ip6, dstIp: Ip6, hopLimit: number): V6Hop {
  return { srcMac, dstMac, srcIp, dstIp, hopLimit };
}

export function udp6Step(t: number, h: V6Hop, sport: number, dport: number, payload: PayloadFn): ScriptStep {
  return { t, fn: (b) => udp6(b, h, sport, dport, payload(b, UDP6_PAYLOAD)) };
}
