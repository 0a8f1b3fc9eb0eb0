import type { PacketSource } from '../capture/raw-packet';
import type { DecodeCounters } from '../capture/decode';
import { logger } from '../logger';

/** After a run: say what was cut or skipped, so nothing is lost silently. */
export function reportSourceProblems(source: PacketSource, counters: DecodeCounters): void {
  const s = source.stats();
  if (s.truncated) logger.warn(`LLN_E_TRUNCATED: ${s.truncated.message} (at byte ${s.truncated.byteOffset}); every complete packet before it was processed`);
  if (s.unknownLinkType > 0) logger.warn(`${s.unknownLinkType} packets had a link type that cannot be decoded and were counted as decode errors`);
  const reasons = counters.byReason();
  const keys = Object.keys(reasons);
  if (keys.length > 0) logger.info(`decode problems: ${keys.map((k) => `${k}=${reasons[k]}`).join(', ')}`);
}
