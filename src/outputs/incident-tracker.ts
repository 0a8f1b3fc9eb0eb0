import { parseIp } from './community-id';
import type { AnomalyRecord, IncidentRecord } from './records';

export interface IncidentTrackerOptions {
  /**
   * An anomaly joins an open incident only if at most this many frames after its last one.
   * Default: no limit, the time gap alone decides. 1,000 frames is an hour of a sparse IoT LAN
   * but 2 s of a busy SCADA LAN, where it split one attack into up to 5 incidents (realdata-b).
   */
  gapFrames?: number;
  /** ... and at most this many seconds after it. */
  gapSeconds?: number;
  /** Rows written per incident; beyond it rows are counted as suppressed. */
  maxRowsPerIncident?: number;
  /** Rows written per source host per minute of capture time; beyond it suppressed. */
  maxRowsPerSourcePerMinute?: number;
  /** Hosts / ports listed per incident (a spoofed-source flood would list millions). */
  maxHostsPerIncident?: number;
  maxPortsPerIncident?: number;
}

export interface TrackerTotals {
  /** Anomalies fed to add(). Always == written + suppressed. */
  fed: number;
  written: number;
  suppressed: number;
  incidents: number;
}

/**
 * What the tracker needs to place an anomaly: the cheap part of its row. The expensive part
 * (explanation, Community ID, ISO time) is built only for rows that get written, which keeps a
 * flood of anomalies (most of them rate-limited) affordable.
 */
export type AnomalyKey = Pick<AnomalyRecord, 'runId' | 'frame' | 'ts' | 'srcIp' | 'dstIp' | 'srcMac' | 'dstMac' | 'srcPort' | 'dstPort' | 'score' | 'attentionFrame'>;

export interface Placement {
  incidentId: number;
  /** Write the anomaly's row (false: rate-limited, counted as suppressed). */
  write: boolean;
  /** The anomaly is its incident's highest score so far: pass its explanation to explainIncident(). */
  newMax: boolean;
}

interface OpenIncident {
  rec: IncidentRecord;
  hostSet: Set<string>;
  portSet: Set<number>;
  /** Packets per source / destination host, for mainSource / mainTarget. */
  fromCounts: HostCounter;
  toCounts: HostCounter;
  open: boolean;
}

/** IPv4 limited broadcast or multicast, IPv6 multicast, or the Ethernet broadcast / a multicast MAC. */
export function isGroupAddress(host: string): boolean {
  if (host === '255.255.255.255') return true;
  const dot = host.indexOf('.');
  if (dot > 0 && !host.includes(':')) {
    const first = Number(host.slice(0, dot));
    return first >= 224 && first <= 239;
  }
  if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(host)) return (parseInt(host.slice(0, 2), 16) & 1) === 1;
  return /^ff[0-9a-f]{2}:/i.test(host);
}

/**
 * Packets per host. Capped like the host list: a spoofed-source flood has millions of sources,
 * and its first 1000 tell enough.
 */
class HostCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly cap: number) {}

  add(host: string): void {
    const n = this.counts.get(host);
    if (n === undefined && this.counts.size >= this.cap) return;
    this.counts.set(host, (n ?? 0) + 1);
  }

  /** The host with the most packets, other than `except`; ties go to the host seen first. */
  top(except: string | null = null): string | null {
    let best: string | null = null;
    let bestCount = 0;
    for (const [host, n] of this.counts) {
      if (n > bestCount && host !== except) {
        best = host;
        bestCount = n;
      }
    }
    return best;
  }

  get size(): number {
    return this.counts.size;
  }
}

/**
 * Groups anomalous packets into incidents and rate-limits the rows written for a flood.
 * Fed in frame order. An anomaly joins the most recently active open incident that shares a
 * host with it (src or dst IP; MAC for non-IP) if it lies within gapFrames and gapSeconds of that
 * incident's last anomaly; otherwise it opens a new incident. Incident ids are per run (1, 2, ...),
 * assigned here so SQLite, CSV and JSON lines carry the same id without a database round trip.
 * Rate-limited rows are not written but counted on the incident and in totals(): never lost silently.
 */
export class IncidentTracker {
  private readonly gapFrames: number;
  private readonly gapSeconds: number;
  private readonly maxRowsPerIncident: number;
  private readonly maxRowsPerSource: number;
  private readonly maxHosts: number;
  private readonly maxPorts: number;
  /** Open incidents, least recently active first (re-inserted on each update) for O(1) expiry. */
  private readonly open = new Map<number, OpenIncident>();
  private readonly byHost = new Map<string, OpenIncident>();
  private readonly dirty = new Set<OpenIncident>();
  private readonly sourceRows = new Map<string, number>();
  private sourceMinute = Number.NaN;
  private nextId = 1;
  private readonly counts: TrackerTotals = { fed: 0, written: 0, suppressed: 0, incidents: 0 };

  constructor(options: IncidentTrackerOptions = {}) {
    this.gapFrames = options.gapFrames ?? Infinity;
    this.gapSeconds = options.gapSeconds ?? 60;
    this.maxRowsPerIncident = options.maxRowsPerIncident ?? 1000;
    this.maxRowsPerSource = options.maxRowsPerSourcePerMinute ?? 600;
    this.maxHosts = options.maxHostsPerIncident ?? 1000;
    this.maxPorts = options.maxPortsPerIncident ?? 1000;
  }

  /** Assign the anomaly to an incident and decide whether its row is written. */
  add(row: AnomalyKey): Placement {
    this.advance(row.frame, row.ts);
    const a = row.srcIp ?? row.srcMac;
    const b = row.dstIp ?? row.dstMac;
    let inc = this.pick(a, b, row.frame, row.ts);
    if (inc === null) inc = this.openIncident(row);
    const r = inc.rec;
    r.lastFrame = Math.max(r.lastFrame, row.frame);
    r.startTs = Math.min(r.startTs, row.ts);
    r.endTs = Math.max(r.endTs, row.ts);
    r.packets++;
    if (a) {
      this.addHost(inc, a);
      inc.fromCounts.add(a);
    }
    if (b) {
      this.addHost(inc, b);
      inc.toCounts.add(b);
    }
    if (row.srcPort !== null && inc.portSet.size < this.maxPorts) inc.portSet.add(row.srcPort);
    if (row.dstPort !== null && inc.portSet.size < this.maxPorts) inc.portSet.add(row.dstPort);
    const newMax = row.score > r.maxScore;
    if (newMax) {
      r.maxScore = row.score;
      r.attentionFrame = row.attentionFrame;
    }
    this.open.delete(r.id);
    this.open.set(r.id, inc);
    this.dirty.add(inc);
    this.counts.fed++;
    const write = this.allowRow(inc, a ?? '', row.ts);
    if (write) {
      r.anomalies++;
      this.counts.written++;
    } else {
      r.suppressed++;
      this.counts.suppressed++;
    }
    return { incidentId: r.id, write, newMax };
  }

  /** The explanation of an open incident's highest-scoring anomaly (after add() said newMax). */
  explainIncident(incidentId: number, topFeatures: string): void {
    const inc = this.open.get(incidentId);
    if (inc) inc.rec.topFeatures = topFeatures;
  }

  /** Progress of the packet stream (normal packets too): closes incidents whose gap has passed. */
  advance(frame: number, ts: number): void {
    for (const inc of this.open.values()) {
      const r = inc.rec;
      if (frame - r.lastFrame <= this.gapFrames && ts - r.endTs <= this.gapSeconds) break;
      this.close(inc);
    }
  }

  /** Incidents opened or changed since the last call, as snapshots for upsertIncidents(). */
  drainUpdates(): IncidentRecord[] {
    const out: IncidentRecord[] = [];
    for (const inc of this.dirty) {
      // The target is never the main source itself: a scanner receives every reply, and
      // would otherwise be its own scan's main target.
      const mainSource = inc.fromCounts.top();
      let mainTarget = inc.toCounts.top(mainSource);
      // A broadcast or multicast is meant for everyone: the target is who answered it (the DHCP
      // server a starvation run from random MACs empties), when someone did.
      if (mainTarget !== null && isGroupAddress(mainTarget)) mainTarget = inc.fromCounts.top(mainSource) ?? mainTarget;
      out.push({
        ...inc.rec,
        hosts: [...inc.hostSet].sort(compareHosts),
        ports: [...inc.portSet].sort((x, y) => x - y),
        mainSource,
        mainTarget,
        sources: inc.fromCounts.size,
        targets: inc.toCounts.size,
      });
    }
    this.dirty.clear();
    return out;
  }

  /** Close every open incident (end of run); returns the final pending updates. */
  closeAll(): IncidentRecord[] {
    for (const inc of [...this.open.values()]) this.close(inc);
    return this.drainUpdates();
  }

  totals(): TrackerTotals {
    return { ...this.counts };
  }

  openIncidents(): number {
    return this.open.size;
  }

  private pick(a: string | null, b: string | null, frame: number, ts: number): OpenIncident | null {
    const ia = a ? this.usable(this.byHost.get(a), frame, ts) : null;
    const ib = b ? this.usable(this.byHost.get(b), frame, ts) : null;
    if (ia && ib) return ia.rec.lastFrame >= ib.rec.lastFrame ? ia : ib;
    return ia ?? ib;
  }

  /** Still within the gap (capture time may step back between input files, so check both ways). */
  private usable(inc: OpenIncident | undefined, frame: number, ts: number): OpenIncident | null {
    if (!inc || !inc.open) return null;
    const r = inc.rec;
    return frame - r.lastFrame <= this.gapFrames && Math.abs(ts - r.endTs) <= this.gapSeconds ? inc : null;
  }

  private openIncident(row: AnomalyKey): OpenIncident {
    const id = this.nextId++;
    this.counts.incidents++;
    return {
      rec: {
        id, runId: row.runId, firstFrame: row.frame, lastFrame: row.frame, startTs: row.ts, endTs: row.ts,
        hosts: [], ports: [], mainSource: null, mainTarget: null, sources: 0, targets: 0,
        packets: 0, anomalies: 0, suppressed: 0, maxScore: -Infinity, attentionFrame: row.attentionFrame, topFeatures: '',
      },
      hostSet: new Set(),
      portSet: new Set(),
      fromCounts: new HostCounter(this.maxHosts),
      toCounts: new HostCounter(this.maxHosts),
      open: true,
    };
  }

  /** Hosts beyond the cap still merge through the other endpoint but are neither listed nor indexed. */
  private addHost(inc: OpenIncident, host: string): void {
    if (!inc.hostSet.has(host)) {
      if (inc.hostSet.size >= this.maxHosts) return;
      inc.hostSet.add(host);
    }
    this.byHost.set(host, inc);
  }

  private close(inc: OpenIncident): void {
    inc.open = false;
    this.open.delete(inc.rec.id);
    for (const h of inc.hostSet) if (this.byHost.get(h) === inc) this.byHost.delete(h);
  }

  private allowRow(inc: OpenIncident, source: string, ts: number): boolean {
    if (inc.rec.anomalies >= this.maxRowsPerIncident) return false;
    const minute = Math.floor(ts / 60);
    // Fixed one-minute windows of capture time: clearing on rollover keeps the map small.
    if (minute !== this.sourceMinute) {
      this.sourceMinute = minute;
      this.sourceRows.clear();
    }
    const n = this.sourceRows.get(source) ?? 0;
    if (n >= this.maxRowsPerSource) return false;
    this.sourceRows.set(source, n + 1);
    return true;
  }
}

/** IPs in numeric order (IPv4 before IPv6), then anything else (MACs) as text. */
export function compareHosts(x: string, y: string): number {
  const a = parseIp(x);
  const b = parseIp(y);
  if (a && b) {
    if (a.length !== b.length) return a.length - b.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }
  if (a) return -1;
  if (b) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
