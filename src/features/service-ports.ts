import { FEATURE_INDEX } from './schema';

/**
 * Port → service column lookup: one byte per port, 0 = no listed service, else 1 + offset of
 * the service's column from svc_dns. A table lookup is cheaper than a switch on two ports per
 * packet and keeps the port numbers themselves out of the vector.
 */
const SERVICES: ReadonlyArray<readonly [column: keyof typeof FEATURE_INDEX, ports: readonly number[]]> = [
  ['svc_dns', [53, 5353, 5355]],
  ['svc_http', [80, 8000, 8080]],
  ['svc_https', [443, 8443]],
  ['svc_ssh', [22]],
  ['svc_telnet', [23]],
  ['svc_ftp', [20, 21]],
  ['svc_smtp', [25, 465, 587]],
  ['svc_dhcp', [67, 68, 546, 547]],
  ['svc_ntp', [123]],
  ['svc_smb', [137, 138, 139, 445]],
];

export const SERVICE_BASE = FEATURE_INDEX.svc_dns;
export const SERVICE_COUNT = SERVICES.length;

/** SERVICE_BY_PORT[port] = 1 + (column - SERVICE_BASE), or 0. */
export const SERVICE_BY_PORT: Uint8Array = (() => {
  const t = new Uint8Array(65536);
  for (const [column, ports] of SERVICES) {
    const rel = FEATURE_INDEX[column] - SERVICE_BASE;
    if (rel < 0 || rel >= SERVICES.length) throw new Error(`service column ${column} is outside the svc_* block`);
    for (const p of ports) t[p] = rel + 1;
  }
  return t;
})();

/** Ports whose payload the decoder parses as DNS. */
export function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}
