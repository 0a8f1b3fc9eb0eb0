import type { PacketSource } from '../capture/raw-packet';
import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { decode, DecodeCounters } from '../capture/decode';

/**
 * Source batches → decoded batches, for the commands that keep decoded packets (features export,
 * training). The scoring pipeline decodes for itself: it keeps only the captured bytes.
 */
export async function* decodeBatches(source: PacketSource, counters: DecodeCounters): AsyncGenerator<DecodedPacket[]> {
  for await (const batch of source) {
    const out = new Array<DecodedPacket>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const d = decode(batch[i]);
      counters.add(d);
      out[i] = d;
    }
    yield out;
  }
}
