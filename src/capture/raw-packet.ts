/** One captured record as read from a file or a live interface, before any decoding. */
export interface RawPacket {
  /** 1-based, in capture order across all inputs of a run (Wireshark's frame number). */
  frame: number;
  /** Capture time: whole seconds since the epoch. */
  tsSec: number;
  /** Capture time: nanoseconds within the second (0..999_999_999). */
  tsNsec: number;
  /** Timestamp resolution of the source in decimal digits (6 = µs, 9 = ns), for printing. */
  tsDigits: number;
  capLen: number;
  origLen: number;
  /** libpcap LINKTYPE_* value (1 Ethernet, 113 SLL, 276 SLL2, 101 raw, 0 NULL, ...). */
  linkType: number;
  /** pcapng interface index (0 for classic pcap); for live capture, index in the configured list. */
  interfaceId: number;
  /** Captured bytes (length capLen). Never reused by the reader after it is yielded: safe to keep. */
  data: Uint8Array;
  /** File path or interface name the packet came from. */
  source: string;
}

/**
 * A source of packets. Yields packets in *batches* (one per read chunk): an async iteration per
 * packet costs more than decoding the packet, and the throughput target is >1M packets/s.
 */
export interface PacketSource extends AsyncIterable<RawPacket[]> {
  readonly name: string;
  /** Counters since open: packets yielded, bytes read, problems seen. */
  stats(): SourceStats;
  /** Stop reading / capturing; iteration ends after the current batch. */
  close(): void;
}

export interface SourceStats {
  packets: number;
  bytes: number;
  /** Records skipped because their link type cannot be decoded. */
  unknownLinkType: number;
  /** Set when the input ended in the middle of a record: what was cut and where. */
  truncated?: { byteOffset: number; message: string };
  /** Live capture: packets dropped because the intake queue was full. */
  queueDrops?: number;
}

/** libpcap LINKTYPE_* values this project decodes. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
