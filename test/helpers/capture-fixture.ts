import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateCapture } from '../../src/generator/generate-capture';

export interface Fixture {
  file: string;
  packets: number;
}

/** A generated classic pcap (seeded, so every run is the same capture), written into dir. */
export async function makeCapture(dir: string, packets: number, seed = 7): Promise<Fixture> {
  const file = path.join(dir, `gen-${seed}-${packets}.pcap`);
  await generateCapture({ out: file, seed, durationSec: Math.max(60, packets / 50), hosts: 20, packetsTarget: packets });
  return { file, packets };
}

/** Byte offsets where each record of a classic pcap ends (the first entry is the file header's end). */
export function recordEnds(file: string): { bytes: Buffer; ends: number[] } {
  const bytes = readFileSync(file);
  const le = bytes.readUInt32LE(0) === 0xa1b2c3d4 || bytes.readUInt32LE(0) === 0xa1b23c4d;
  const ends = [24];
  for (let off = 24; off + 16 <= bytes.length; ) {
    const incl = le ? bytes.readUInt32LE(off + 8) : bytes.readUInt32BE(off + 8);
    off += 16 + incl;
    ends.push(off);
  }
  return { bytes, ends };
}
