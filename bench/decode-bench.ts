/**
 * Decoder throughput: decode a set of frames from the sample captures (or built frames when
 * the samples are absent) in a loop for ~1.5 CPU-seconds per case. Reports decodes per CPU-second.
 */
import { decode } from '../src/capture/decode';
import type { RawPacket } from '../src/capture/raw-packet';
import { openCaptureFiles } from '../src/capture/file-source';
import { ethernet, ipv4, rawPacket, tcp } from '../test/helpers/frame-builder';
import { HAVE_SAMPLES, sample } from '../test/helpers/samples';

async function loadAll(file: string): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of openCaptureFiles([file])) out.push(...batch);
  return out;
}

/**
 * Decodes per CPU-second of this process (user + system), so the number stays meaningful on a
 * shared, loaded machine; wall-clock rate is lower by however much CPU others take.
 */
/** One pass over a batch, as the pipeline calls decode per reader batch. */
function decodeBatch(packets: RawPacket[]): number {
  let sink = 0;
  for (let i = 0; i < packets.length; i++) sink += decode(packets[i]).payloadLen;
  return sink;
}

function rate(packets: RawPacket[], seconds = 1.5): number {
  let n = 0;
  let sink = 0;
  const c0 = process.cpuUsage();
  const limitUs = seconds * 1e6;
  for (;;) {
    sink += decodeBatch(packets);
    n += packets.length;
    const c = process.cpuUsage(c0);
    const us = c.user + c.system;
    if (us > limitUs) {
      if (sink === Number.MIN_SAFE_INTEGER) process.stderr.write(''); // keep `sink` observable
      return n / (us / 1e6);
    }
  }
}

export async function runDecodeBench(): Promise<Record<string, number>> {
  // Buffer, like the reader's records: mixing Uint8Array and Buffer makes byte reads polymorphic.
  const built = Array.from({ length: 256 }, (_, i) =>
    rawPacket(Buffer.from(ethernet({ type: 0x0800, payload: ipv4({ src: `10.0.${i}.1`, dst: '10.1.0.2', proto: 6, payload: tcp({ sport: 1024 + i, dport: 443, seq: i * 7919, payload: new Uint8Array(100) }) }) }))));
  const out: Record<string, number> = {};
  rate(built, 0.5); // warm-up so the JIT has settled before measuring
  out['eth_ipv4_tcp_built_decodes_per_cpu_s'] = rate(built);
  if (HAVE_SAMPLES) {
    for (const name of ['http.cap', 'nmap-vsn.pcap', 'dns.cap', 'nb6-startup.pcap']) {
      out[`${name}_decodes_per_cpu_s`] = rate(await loadAll(sample(name)));
    }
  }
  return out;
}

if (require.main === module) {
  runDecodeBench().then((r) => process.stdout.write(JSON.stringify(r, null, 1) + '\n'));
}
