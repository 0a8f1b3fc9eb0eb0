/** libpcap's own counters for one capture, since it was opened (pcap_stats(3PCAP)). */
export interface PcapStats {
  /** Packets that passed the filter, including those the ring then dropped (ps_recv). */
  received: number;
  /** Dropped because libpcap's kernel ring was full: the process did not read fast enough (ps_drop). */
  dropped: number;
  /** Dropped by the interface or its driver since the capture opened (ps_ifdrop; Linux: rx_dropped). */
  ifDropped: number;
}

/** What the patched `cap` binding's stats() returns: struct pcap_stat as is. */
export interface RawPcapStat {
  ps_recv: number;
  ps_drop: number;
  ps_ifdrop: number;
}

const WRAP = 2 ** 32;

export const ZERO_PCAP_STATS: Readonly<PcapStats> = Object.freeze({ received: 0, dropped: 0, ifDropped: 0 });

export function addPcapStats(a: PcapStats, b: PcapStats): PcapStats {
  return { received: a.received + b.received, dropped: a.dropped + b.dropped, ifDropped: a.ifDropped + b.ifDropped };
}

/**
 * struct pcap_stat holds 32-bit u_ints, which wrap: at 150k packets/s ps_recv does in 8 hours.
 * Each reading adds its increase modulo 2^32, so the totals stay exact as long as readings are
 * less than one wrap apart (the daemon reads every second).
 */
export class PcapStatsAccumulator {
  private last: RawPcapStat | null = null;
  private total: PcapStats = { ...ZERO_PCAP_STATS };

  update(raw: RawPcapStat): PcapStats {
    const prev = this.last ?? { ps_recv: 0, ps_drop: 0, ps_ifdrop: 0 };
    const inc = (now: number, before: number) => (((now - before) % WRAP) + WRAP) % WRAP;
    this.total = {
      received: this.total.received + inc(raw.ps_recv, prev.ps_recv),
      dropped: this.total.dropped + inc(raw.ps_drop, prev.ps_drop),
      ifDropped: this.total.ifDropped + inc(raw.ps_ifdrop, prev.ps_ifdrop),
    };
    this.last = { ...raw };
    return this.total;
  }

  get totals(): PcapStats {
    return this.total;
  }
}
