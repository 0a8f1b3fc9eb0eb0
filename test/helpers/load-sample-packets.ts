/** Every record of a sample capture, read by the project reader (classic pcap and pcapng). */
import type { RawPacket } from '../../src/capture/raw-packet';
import { openCaptureFiles } from '../../src/capture/file-source';

export async function loadSamplePackets(file: string): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of openCaptureFiles([file])) out.push(...batch);
  return out;
}
