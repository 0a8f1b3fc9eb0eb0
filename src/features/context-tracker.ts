import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { ContextTable } from './context-table';
import type { ContextOptions } from './context-options';
import { resolveContextOptions } from './context-options';
import {
  DC_SIZE, DS_SIZE, dcCorrelation, dcCovariance, dcInit, dcMagnitude, dcRadius, dcUpdate,
  dsInit, dsMean, dsUpdate, dsVariance, dsWeightAt, DampedStats,
} from './damped-stats';
import { FEATURE_INDEX as I } from './schema';

/** Time scales (λ per second, half-life 1/λ s). See docs/features.md. */
const L_FAST = 5;
const L_MID = 1;
const L_SLOW = 0.1;
/** Inter-arrival times go into the vector in µs, capped so a wild timestamp stays finite. */
const MAX_IAT_S = 1e7;
const FLOW_INDEX_CAP = 1000;
/** Socket-key protocol code for ARP (IP protocols are 0..255). */
const PROTO_ARP = 256;

// Host slot: five 1-D streams (rate λ=5, rate λ=0.1, size λ=1, new-destination and new-flow events λ=1).
const H_FAST = 0;
const H_SLOW = H_FAST + DS_SIZE;
const H_SIZE = H_SLOW + DS_SIZE;
const H_NEWDST = H_SIZE + DS_SIZE;
const H_NEWFLOW = H_NEWDST + DS_SIZE;
const HOST_STRIDE = H_NEWFLOW + DS_SIZE;
// Channel slot: two-direction size stats, inter-arrival (jitter) stats, time of last packet.
const C_SIZE = 0;
const C_JIT = DC_SIZE;
const C_TLAST = C_JIT + DS_SIZE;
const CHAN_STRIDE = C_TLAST + 1;
// Socket slot: size stats, jitter stats, time of last packet, packets, bytes.
const S_SIZE = 0;
const S_JIT = DS_SIZE;
const S_TLAST = 2 * DS_SIZE;
const S_PKTS = S_TLAST + 1;
const S_BYTES = S_TLAST + 2;
const SOCK_STRIDE = S_TLAST + 3;

function initHost(a: Float64Array, b: number): void {
  for (let i = 0; i < HOST_STRIDE; i += DS_SIZE) dsInit(a, b + i);
}
function initChannel(a: Float64Array, b: number): void {
  dcInit(a, b + C_SIZE);
  dsInit(a, b + C_JIT);
  a[b + C_TLAST] = -Infinity;
}
function initSocket(a: Float64Array, b: number): void {
  dsInit(a, b + S_SIZE);
  dsInit(a, b + S_JIT);
  a[b + S_TLAST] = -Infinity;
  a[b + S_PKTS] = 0;
  a[b + S_BYTES] = 0;
}

/**
 * Per-host, per-channel, per-socket and global damped statistics, in bounded tables.
 * One call per packet, O(1): three table lookups and a few dozen flops, no allocation for IPv4 (string keys for other addresses).
 */
export class ContextTracker {
  private readonly hosts: ContextTable;
  private readonly channels: ContextTable;
  private readonly sockets: ContextTable;
  private readonly global = new DampedStats(L_MID);
  private readonly globalNewHost = new DampedStats(L_MID);
  private readonly globalNewFlow = new DampedStats(L_MID);
  private tPrev = -Infinity;

  constructor(opts?: ContextOptions) {
    const o = resolveContextOptions(opts);
    this.hosts = new ContextTable(o.maxHosts, HOST_STRIDE, initHost);
    this.channels = new ContextTable(o.maxChannels, CHAN_STRIDE, initChannel);
    this.sockets = new ContextTable(o.maxSockets, SOCK_STRIDE, initSocket);
  }

  stats(): { hosts: number; channels: number; sockets: number; evictions: number } {
    return {
      hosts: this.hosts.size,
      channels: this.channels.size,
      sockets: this.sockets.size,
      evictions: this.hosts.evictions + this.channels.evictions + this.sockets.evictions,
    };
  }

  /**
   * Update the state with packet p at time t (finite seconds) and write the context columns as
   * raw values (the extractor applies the schema's transforms to the whole row at once).
   */
  write(p: DecodedPacket, t: number, out: Float64Array, o: number): void {
    const size = p.origLen > 0 ? p.origLen : 0;
    const src = p.srcIp ?? p.arpSenderIp ?? p.srcMac ?? '';
    const dst = p.dstIp ?? p.arpTargetIp ?? p.dstMac ?? '';

    // Global clock: the largest time seen, so a step backwards gives iat 0, never negative.
    out[o + I.iat_global] = iatFeature(this.tPrev, t);
    if (t > this.tPrev) this.tPrev = t;
    this.global.update(size, t);
    out[o + I.global_rate] = this.global.w;

    // Lookups first (each may grow its slab), then read the slabs. IPv4 hosts go in by the
    // number the decoder read (no key string built, hashed or parsed back: that was ~40% of this
    // method); any other address keeps the string key. Each logical key maps to exactly one kind,
    // so the tables hold the same entries, in the same generations, as with string keys only.
    const srcN = p.srcIp !== null ? p.srcIpv4 : p.arpSenderIp !== null ? p.arpSenderIpv4 : -1;
    const dstN = p.dstIp !== null ? p.dstIpv4 : p.arpTargetIp !== null ? p.arpTargetIpv4 : -1;
    let hb = srcN >= 0 ? this.hosts.findNum(srcN | 0, 0, 0, 0) : this.hosts.find(src);
    const newHost = hb < 0;
    if (newHost) {
      hb = srcN >= 0 ? this.hosts.insertNum(srcN | 0, 0, 0, 0) : this.hosts.insert(src);
      this.globalNewHost.update(0, t);
    }
    // Channel: unordered host pair; direction 0 when src sorts first (as strings).
    const forward = src <= dst;
    const sp = p.srcPort;
    const dp = p.dstPort;
    // Socket: bidirectional 5-tuple (or protocol + addresses without ports).
    const sockForward = forward && (src !== dst || sp <= dp);
    const protoCode = p.ipProto >= 0 ? (p.ipProto < PROTO_ARP ? p.ipProto : -1) : p.l3 === 'arp' ? PROTO_ARP : -1;
    let cb: number;
    let sb: number;
    let newChan: boolean;
    let newSock: boolean;
    if (srcN >= 0 && dstN >= 0) {
      const lo = (forward ? srcN : dstN) | 0;
      const hi = (forward ? dstN : srcN) | 0;
      cb = this.channels.findNum(lo, hi, 0, 0);
      newChan = cb < 0;
      if (newChan) cb = this.channels.insertNum(lo, hi, 0, 0);
    } else {
      const chanKey = forward ? src + '|' + dst : dst + '|' + src;
      cb = this.channels.find(chanKey);
      newChan = cb < 0;
      if (newChan) cb = this.channels.insert(chanKey);
    }
    if (srcN >= 0 && dstN >= 0 && protoCode >= 0) {
      // Words: first address, second address, both ports, protocol + "port absent" bits.
      const a = (sockForward ? srcN : dstN) | 0;
      const b = (sockForward ? dstN : srcN) | 0;
      const pa = sockForward ? sp : dp;
      const pb = sockForward ? dp : sp;
      const ports = ((pa & 0xffff) << 16) | (pb & 0xffff);
      const tag = protoCode | (pa < 0 ? 0x200 : 0) | (pb < 0 ? 0x400 : 0);
      sb = this.sockets.findNum(a, b, ports, tag);
      newSock = sb < 0;
      if (newSock) sb = this.sockets.insertNum(a, b, ports, tag);
    } else {
      // Protocol and ports go in as single UTF-16 chars: number→decimal conversion was costly.
      const proto = p.ipProto >= 0 ? String.fromCharCode(p.ipProto) : p.l3 === 'arp' ? 'arp' : 'e' + p.etherType;
      const spc = sp >= 0 ? String.fromCharCode(sp) : '';
      const dpc = dp >= 0 ? String.fromCharCode(dp) : '';
      const sockKey = sockForward
        ? proto + '|' + src + '|' + spc + '|' + dst + '|' + dpc
        : proto + '|' + dst + '|' + dpc + '|' + src + '|' + spc;
      sb = this.sockets.find(sockKey);
      newSock = sb < 0;
      if (newSock) sb = this.sockets.insert(sockKey);
    }
    if (newSock) this.globalNewFlow.update(0, t);

    const h = this.hosts.slab;
    dsUpdate(h, hb + H_FAST, L_FAST, size, t);
    dsUpdate(h, hb + H_SLOW, L_SLOW, size, t);
    dsUpdate(h, hb + H_SIZE, L_MID, size, t);
    if (newChan) dsUpdate(h, hb + H_NEWDST, L_MID, 0, t);
    if (newSock) dsUpdate(h, hb + H_NEWFLOW, L_MID, 0, t);
    out[o + I.host_rate_fast] = h[hb + H_FAST];
    out[o + I.host_rate_slow] = h[hb + H_SLOW];
    out[o + I.host_size_mean] = dsMean(h, hb + H_SIZE);
    out[o + I.host_size_std] = Math.sqrt(dsVariance(h, hb + H_SIZE));
    out[o + I.host_new_dst_rate] = dsWeightAt(h, hb + H_NEWDST, L_MID, t);
    out[o + I.host_new_flow_rate] = dsWeightAt(h, hb + H_NEWFLOW, L_MID, t);

    const c = this.channels.slab;
    const dir = forward ? 0 : 1;
    dcUpdate(c, cb + C_SIZE, L_MID, dir, size, t);
    const cLast = c[cb + C_TLAST];
    if (cLast !== -Infinity) dsUpdate(c, cb + C_JIT, L_MID, clampIat(t - cLast), t);
    if (t > cLast) c[cb + C_TLAST] = t;
    out[o + I.chan_rate] = c[cb + C_SIZE + dir * DS_SIZE];
    out[o + I.chan_magnitude] = dcMagnitude(c, cb + C_SIZE);
    out[o + I.chan_radius] = dcRadius(c, cb + C_SIZE);
    out[o + I.chan_cov] = dcCovariance(c, cb + C_SIZE);
    out[o + I.chan_pcc] = dcCorrelation(c, cb + C_SIZE);
    out[o + I.chan_jitter_mean] = dsMean(c, cb + C_JIT) * 1e6;
    out[o + I.chan_jitter_std] = Math.sqrt(dsVariance(c, cb + C_JIT)) * 1e6;

    const s = this.sockets.slab;
    const sLast = s[sb + S_TLAST];
    if (newSock) out[o + I.flow_first] = 1;
    else {
      out[o + I.iat_flow] = iatFeature(sLast, t);
      dsUpdate(s, sb + S_JIT, L_MID, clampIat(t - sLast), t);
    }
    if (t > sLast) s[sb + S_TLAST] = t;
    const pkts = ++s[sb + S_PKTS];
    const bytes = (s[sb + S_BYTES] += size);
    dsUpdate(s, sb + S_SIZE, L_MID, size, t);
    out[o + I.flow_pkt_index] = pkts < FLOW_INDEX_CAP ? pkts : FLOW_INDEX_CAP;
    out[o + I.flow_bytes] = bytes;
    out[o + I.sock_rate] = s[sb + S_SIZE];
    out[o + I.sock_size_mean] = dsMean(s, sb + S_SIZE);
    out[o + I.sock_size_std] = Math.sqrt(dsVariance(s, sb + S_SIZE));
    out[o + I.sock_jitter_std] = Math.sqrt(dsVariance(s, sb + S_JIT)) * 1e6;

    out[o + I.global_new_host_rate] = this.globalNewHost.weightAt(t);
    out[o + I.global_new_flow_rate] = this.globalNewFlow.weightAt(t);
  }
}

function clampIat(dt: number): number {
  return dt > 0 ? (dt < MAX_IAT_S ? dt : MAX_IAT_S) : 0;
}

function iatFeature(tPrev: number, t: number): number {
  return tPrev === -Infinity ? 0 : clampIat(t - tPrev) * 1e6;
}
