import { LlnError } from '../errors';

/** One capture device as libpcap sees it (`lln-detect interfaces`). */
export interface CaptureInterface {
  name: string;
  description?: string;
  /** Addresses bound to the interface (IPv4 and IPv6, as text). */
  addresses: string[];
  /** libpcap's flags text, e.g. PCAP_IF_LOOPBACK. */
  flags?: string;
}

interface CapDevice {
  name: string;
  description?: string;
  addresses?: Array<{ addr?: string }>;
  flags?: string;
}

/** The devices libpcap can open (pcap_findalldevs through cap). Needs no privileges on Linux. */
export function listInterfaces(): CaptureInterface[] {
  let devices: CapDevice[];
  try {
    const { Cap } = require('cap') as { Cap: { deviceList(): CapDevice[] } };
    devices = Cap.deviceList();
  } catch (e) {
    throw new LlnError('LLN_E_CAPTURE', `cannot list capture interfaces: ${(e as Error).message}; install libpcap-dev and rebuild: npm rebuild cap`, { cause: e });
  }
  return devices.map((d) => {
    const out: CaptureInterface = {
      name: d.name,
      addresses: (d.addresses ?? []).map((a) => a.addr).filter((a): a is string => typeof a === 'string' && a.length > 0),
    };
    if (d.description) out.description = d.description;
    if (d.flags) out.flags = d.flags;
    return out;
  });
}

/** The table `lln-detect interfaces` prints: name, addresses, then description/flags. */
export function formatInterfaces(list: CaptureInterface[]): string {
  if (list.length === 0) return 'no capture interfaces found (is libpcap able to see any? try running as root)\n';
  const nameWidth = Math.max(4, ...list.map((i) => i.name.length));
  const rows = list.map((i) => {
    const notes = [i.description, i.flags === 'PCAP_IF_LOOPBACK' ? 'loopback' : i.flags].filter(Boolean).join('; ');
    const addrs = i.addresses.length > 0 ? i.addresses.join(', ') : '-';
    return `${i.name.padEnd(nameWidth)}  ${addrs}${notes ? `  (${notes})` : ''}`;
  });
  return `${'NAME'.padEnd(nameWidth)}  ADDRESSES\n${rows.join('\n')}\n`;
}
