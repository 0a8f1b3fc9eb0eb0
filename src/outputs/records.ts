/**
 * The plain records every output sink writes. One shape for SQLite, CSV and JSON lines, so a
 * row found in one output can be found in the others by (run_id, frame) or (run_id, incident_id).
 */

export type ProtocolName = 'TCP' | 'UDP' | 'ICMP' | 'ICMPv6' | 'ARP' | 'IPv6' | 'other';

/** One packet whose score reached the threshold. */
export interface AnomalyRecord {
  runId: number;
  /** 1-based frame number across all inputs of the run (Wireshark's numbering). */
  frame: number;
  /** Capture time, epoch seconds (float, µs-exact for current dates). */
  ts: number;
  /** Capture time as ISO-8601 UTC with microseconds: 2024-01-02T03:04:05.123456Z. */
  tsIso: string;
  /** File path or interface name. */
  source: string;
  interfaceId: number;
  srcMac: string | null;
  dstMac: string | null;
  srcIp: string | null;
  dstIp: string | null;
  srcPort: number | null;
  dstPort: number | null;
  protocol: ProtocolName;
  /** Original (on-the-wire) length in bytes. */
  length: number;
  score: number;
  threshold: number;
  /** Per-run incident number (1, 2, ...), assigned by the IncidentTracker. */
  incidentId: number;
  /** Frame of the packet the attention weights pointed to in the highest-scoring window. */
  attentionFrame: number;
  /** Most deviating features, e.g. "dns_port_not_dns=+6.2σ, iat_flow=-3.1σ". */
  topFeatures: string;
  /** Community ID v1 ("1:base64") for TCP/UDP/SCTP/ICMP/ICMPv6 flows, else null. */
  communityId: string | null;
  /** Written while the daemon was still learning its network (scored by the shipped model); SQLite only. */
  provisional?: boolean;
}

/**
 * A group of anomalies sharing a host, close in frames and time. Ids are per run (1, 2, ...):
 * the pair (runId, id) is the key in every output.
 * Invariant: packets == anomalies + suppressed.
 */
export interface IncidentRecord {
  id: number;
  runId: number;
  firstFrame: number;
  lastFrame: number;
  startTs: number;
  endTs: number;
  /** Sorted unique IPs (MACs for non-IP packets); capped, see IncidentTracker. */
  hosts: string[];
  /** Sorted unique ports (source and destination); capped, see IncidentTracker. */
  ports: number[];
  /**
   * The source (IP, or MAC for non-IP) of most of the incident's packets: the scanner, the
   * brute-forcer. null when no packet had one. Ties go to the host that got there first.
   */
  mainSource: string | null;
  /**
   * The destination of most of the incident's packets other than mainSource (whom every reply
   * goes to): the scanned, flooded or brute-forced host.
   */
  mainTarget: string | null;
  /** Distinct source / destination hosts (counted up to the tracker's host cap, 1000 by default). */
  sources: number;
  targets: number;
  /** Anomalous packets merged into the incident. */
  packets: number;
  /** Rows written to the outputs. */
  anomalies: number;
  /** Rows rate-limited away (counted, never silently lost). */
  suppressed: number;
  maxScore: number;
  /** Attention frame and explanation of the highest-scoring packet. */
  attentionFrame: number;
  topFeatures: string;
  /** Opened while the daemon was still learning its network; SQLite only. */
  provisional?: boolean;
}

export type RunMode = 'replay' | 'daemon';
export type RunStatus = 'running' | 'finished' | 'interrupted' | 'failed';

export interface RunRecord {
  /** Assigned by the first sink whose startRun returns a number (SQLite autoincrement). */
  id: number;
  /** ISO-8601 UTC wall-clock times. */
  startedAt: string;
  finishedAt: string | null;
  mode: RunMode;
  /** Input files or interface names. */
  sources: string[];
  modelId: string;
  modelSha256: string;
  threshold: number;
  packets: number;
  windows: number;
  anomalies: number;
  incidents: number;
  suppressed: number;
  status: RunStatus;
  /**
   * Live capture's loss (daemon runs; absent for replays), summed over interfaces. libpcap's own
   * counters (pcap_stats) are absent when the cap binding is not patched; see PcapStats.
   */
  pcapReceived?: number;
  /** Lost in libpcap's kernel ring (it was full): traffic the sensor never saw. */
  pcapDropped?: number;
  /** Dropped by the interface or driver while capturing. */
  pcapIfDropped?: number;
  /** Captured, then turned away because the daemon's intake queue was full. */
  queueDropped?: number;
  /** Daemon runs: windows due at the stride not scored because the daemon shed model work under overload. */
  windowsShed?: number;
  /** Daemon runs: packets no scored window covered (shed or dropped windows), holding the nearest scored window's median score. */
  packetsShed?: number;
  /** Daemon runs: seconds spent shedding, and the highest shed level reached (one window in 2^level scored). */
  shedSeconds?: number;
  shedMaxLevel?: number;
}

/** Where anomalies, incidents and run summaries go. All calls are synchronous and batched. */
export interface AnomalySink {
  /** Record a new run; a sink that allocates run ids (SQLite) returns the id. */
  startRun(run: RunRecord): number | void;
  writeAnomalies(rows: AnomalyRecord[]): void;
  /** Insert or update incidents (the tracker's drainUpdates()). */
  upsertIncidents(rows: IncidentRecord[]): void;
  /** Persist progress counters of a running run (daemon); optional. */
  updateRun?(run: RunRecord): void;
  finishRun(run: RunRecord): void;
  close(): void;
  /** Reopen files after logrotate moved them (SIGHUP). */
  reopen?(): void;
}
