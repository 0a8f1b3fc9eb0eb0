import { readFileSync } from 'node:fs';

/** Kernel receive counters of one interface (cumulative since the interface appeared). */
export interface InterfaceCounters {
  rxPackets: number;
  rxDropped: number;
  rxErrors: number;
  /** Drops by the NIC for lack of buffers; not every driver reports it. */
  rxMissed?: number;
}

/** An interface name is one path segment under /sys/class/net; anything else could escape it. */
const SAFE_NAME = /^[A-Za-z0-9_.:@-]{1,64}$/;

function readCounter(iface: string, name: string): number | undefined {
  try {
    const n = Number(readFileSync(`/sys/class/net/${iface}/statistics/${name}`, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Read /sys/class/net/IF/statistics: drops below libpcap (NIC and driver level). They never show
 * packets lost in libpcap's own ring (the kernel did deliver those); pcap-stats.ts counts those.
 * Null when the interface does not exist or the platform has no sysfs (e.g. 'any', macOS).
 */
export function readInterfaceCounters(iface: string): InterfaceCounters | null {
  if (!SAFE_NAME.test(iface) || iface === '.' || iface === '..') return null;
  const rxPackets = readCounter(iface, 'rx_packets');
  if (rxPackets === undefined) return null;
  const out: InterfaceCounters = {
    rxPackets,
    rxDropped: readCounter(iface, 'rx_dropped') ?? 0,
    rxErrors: readCounter(iface, 'rx_errors') ?? 0,
  };
  const missed = readCounter(iface, 'rx_missed_errors');
  if (missed !== undefined) out.rxMissed = missed;
  return out;
}
