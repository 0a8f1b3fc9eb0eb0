import type { PacketSource } from '../capture/raw-packet';
import type { DecodeCounters } from '../capture/decode';
import { logger } from '../logger';

/** After a run: say what was cut or skipped, so nothing is lost silently. */
export function reportSourceProblems(source: PacketSource, counters: DecodeCounters): void {
  const s = source.stats();
  // Once, on stderr with the other warnings (the replay summary does not repeat it); the reader's
  // message already names the byte and says that every complete packet before it was read.
  if (s.truncated) logger.warn(`LLN_E_TRUNCATED: ${s.truncated.message}`);
  if (s.unknownLinkType > 0) logger.warn(`${s.unknownLinkType} packets had a link type that cannot be decoded and were counted as decode errors`);
  const reasons = counters.byReason();
  const keys = Object.keys(reasons);
  if (keys.length > 0) logger.info(`decode problems: ${keys.map((k) => `${k}=${reasons[k]}`).join(', ')}`);
}
