import type { PacketSource, RawPacket } from './raw-packet';

/**
 * Read a source's first batch now, so a caller learns whether the input is a capture at all
 * (magic bytes, file header, first record) before it creates any output: a non-capture then
 * leaves nothing behind, exactly as a missing file does. Resolves to a source that yields that
 * batch and then the rest; rejects with the reader's error (LLN_E_NOT_PCAP, ...).
 */
export async function primeSource(source: PacketSource): Promise<PacketSource> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  return {
    name: source.name,
    stats: () => source.stats(),
    close: () => source.close(),
    async *[Symbol.asyncIterator](): AsyncGenerator<RawPacket[]> {
      try {
        if (first.done) return;
        yield first.value;
        for (;;) {
          const next = await it.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        await it.return?.(undefined); // a consumer that stops early releases the file
      }
    },
  };
}
