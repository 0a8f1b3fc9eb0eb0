import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { DaemonConfig, InterfaceConfig } from './config-schema';
import { isLoopbackHost, parseListen } from './config-schema';

/** ARPHRD_LOOPBACK in /sys/class/net/IF/type. */
const ARPHRD_LOOPBACK = 772;

function isLoopbackInterface(name: string): boolean {
  if (name === 'lo') return true;
  try {
    return Number(readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim()) === ARPHRD_LOOPBACK;
  } catch {
    return false;
  }
}

/**
 * The BPF expression for the sensor's own listener on this interface, or null where its traffic
 * cannot appear. A scrape of /metrics is a short TCP connection to the metrics port: on a quiet
 * `lo` it is most of what is seen, and a model trained on other traffic flags it. A loopback
 * listener is reached only through loopback interfaces (and `any`); a listener on another address
 * through any interface, so there the exclusion names the address too (`tcp port 9910 and host
 * 192.0.2.7`), or only the port for a wildcard address (0.0.0.0, ::).
 */
export function ownTrafficExpression(ifc: InterfaceConfig, cfg: DaemonConfig): string | null {
  if (!cfg.metrics.enabled || !cfg.metrics.excludeOwnTraffic) return null;
  const hp = parseListen(cfg.metrics.listen);
  if (!hp) return null;
  const port = `tcp port ${hp.port}`;
  if (isLoopbackHost(hp.host)) return ifc.name === 'any' || isLoopbackInterface(ifc.name) ? port : null;
  const wildcard = hp.host === '0.0.0.0' || hp.host === '::' || isIP(hp.host) === 0;
  return wildcard ? port : `${port} and host ${hp.host}`;
}
