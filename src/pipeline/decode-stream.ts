import type { PacketSource } from '../capture/raw-packet';
import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { decode, DecodeCounters } from '../capture/decode';

/** Source batches → decoded batches. The one place packets are decoded, for every command. */
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
