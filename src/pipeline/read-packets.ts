import type { DecodedPacket } from '../capture/decode/decoded-packet';
import { DecodeCounters } from '../capture/decode';
import { checkCaptureFile, openCaptureFiles } from '../capture/file-source';
import { decodeBatches } from './decode-stream';
import { reportSourceProblems } from './source-report';

/** Decode whole captures into memory (training and evaluation need random access to packets). */
export async function readAllPackets(files: string[]): Promise<{ packets: DecodedPacket[]; counters: DecodeCounters }> {
  for (const f of files) await checkCaptureFile(f);
  const source = openCaptureFiles(files);
  const counters = new DecodeCounters();
  const packets: DecodedPacket[] = [];
  for await (const batch of decodeBatches(source, counters)) for (const p of batch) packets.push(p);
  reportSourceProblems(source, counters);
  return { packets, counters };
}
