import type { DaemonConfig, InterfaceConfig } from './config-schema';
import { parseShare, shareExpression } from '../capture/link-share';
import { ownTrafficExpression } from './self-traffic';

/**
 * The filter the daemon applies on an interface: the configured one, narrowed to the sensor's
 * share of the link (`share: K/N`), minus the sensor's own listener.
 */
export function effectiveFilter(ifc: InterfaceConfig, cfg: DaemonConfig): string {
  const keep = [ifc.filter?.trim() ?? '', ifc.share ? shareExpression(parseShare(ifc.share)!) : ''].filter(Boolean);
  const own = ownTrafficExpression(ifc, cfg);
  if (!own && keep.length <= 1) return keep[0] ?? '';
  return [...keep.map((e) => `(${e})`), ...(own ? [`not (${own})`] : [])].join(' and ');
}
