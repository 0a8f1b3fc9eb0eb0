/**
 * `npm run bench -- ring`: how many packets libpcap's kernel ring holds while the sensor is not
 * reading it — what a burst may leave there while JavaScript works on a batch — at the old
 * default snaplen (9216, whole frames) and the current one (DEFAULT_SNAPLEN). A veth pair (peer in
 * a network namespace made here; traffic never leaves the machine), the capture opened on the
 * host end with the daemon's 128 MiB ring, the main thread held (Atomics.wait: no CPU burnt, no
 * poll of the ring) while tcpreplay sends a burst larger than the ring, then everything read.
 * Reports per snaplen the packets held (read afterwards) and those libpcap dropped. Needs root,
 * iproute2 and tcpreplay.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SNAPLEN, openLiveCapture, type LivePacketSource } from '../src/capture/live-source';
import { generateCapture } from '../src/generator/generate-capture';
import { VethNamespace, sentCount } from '../test/helpers/daemon-harness';

const BURST = Number(process.env.LLN_BENCH_RING_BURST ?? 400_000);
const PPS = Number(process.env.LLN_BENCH_RING_PPS ?? 150_000);
const RING_BYTES = 128 * 1024 * 1024;

/** Block this thread for `ms` without spinning: libuv cannot poll the capture meanwhile. */
function hold(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function drain(src: LivePacketSource, quietMs: number): Promise<number> {
  let n = 0;
  let timer = setTimeout(() => src.close(), quietMs);
  for await (const batch of src) {
    n += batch.length;
    clearTimeout(timer);
    timer = setTimeout(() => src.close(), quietMs);
  }
  clearTimeout(timer);
  return n;
}

async function heldAt(veth: VethNamespace, pcap: string, snaplen: number): Promise<{ held: number; dropped: number; sent: number }> {
  let frame = 0;
  const src = openLiveCapture({
    iface: veth.host, interfaceId: 0, snaplen, bufferSize: RING_BYTES, frameCounter: { next: () => ++frame },
    queueLimit: 10 * BURST, queueByteLimit: 4 * 1024 * 1024 * 1024,
  });
  let out = '';
  const sender = spawn('ip', ['netns', 'exec', veth.ns, 'tcpreplay', '-T', 'nano', '--pps-multi', String(Math.round(PPS / 1000)), '-i', veth.peer,
    '--pps', String(PPS), '--limit', String(BURST), '--loop', '0', pcap], { stdio: ['ignore', 'pipe', 'pipe'] });
  sender.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((resolve) => sender.on('close', () => resolve()));
  // The whole burst and a second more: everything sent meanwhile lands in (or falls off) the ring.
  hold((BURST / PPS) * 1000 + 1000);
  await done;
  const held = await drain(src, 1000);
  return { held, dropped: src.pcapStats()?.dropped ?? NaN, sent: sentCount(out) };
}

export async function runRingBench(): Promise<Record<string, number>> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench ring: needs root (a veth pair, live capture): skipped\n');
    return {};
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'lln-bench-ring-'));
  const veth = new VethNamespace();
  const out: Record<string, number> = {};
  try {
    // Small frames from the project's generator (any frames do: a slot's size is the snaplen or the MTU, not the packet's).
    const pcap = path.join(dir, 'lan.pcap');
    await generateCapture({ out: pcap, seed: 3, durationSec: 60, hosts: 20, packetsTarget: 50_000 });
    veth.create(1500);
    for (const snaplen of [9216, DEFAULT_SNAPLEN]) {
      const r = await heldAt(veth, pcap, snaplen);
      process.stderr.write(`bench ring: snaplen ${snaplen}: ${r.held} of ${r.sent} sent held in the ring, ${r.dropped} dropped by libpcap\n`);
      out[`snaplen${snaplen}_held`] = r.held;
      out[`snaplen${snaplen}_dropped`] = r.dropped;
      out[`snaplen${snaplen}_sent`] = r.sent;
    }
  } finally {
    veth.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
