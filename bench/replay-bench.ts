import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCaptureFiles } from '../src/capture/file-source';
import { PcapWriter } from '../src/capture/pcap-writer';
import { generateCapture } from '../src/generator/generate-capture';
import { PACKAGE_ROOT } from '../src/paths';

const PACKETS = Number(process.env.LLN_BENCH_PACKETS ?? 1_000_000);
/** How many times each real capture is played, one copy after the other in time. */
const REAL_REPEATS = Number(process.env.LLN_BENCH_REAL_REPEATS ?? 10);
/** ../shared/realdata beside the project: absent in a user's clone (the real rows then skip). */
const REALDATA_DIR = process.env.LLN_REALDATA_DIR ?? path.join(PACKAGE_ROOT, '..', 'shared', 'realdata');
/** Which row sets to run: generated (1M generated packets), iot (realdata's train-benign), flood (realdata's udp-flood mix). */
const SETS = new Set((process.env.LLN_BENCH_REPLAY_SETS ?? 'generated,iot,flood').split(','));

/**
 * The real captures: an IoT hub LAN (mostly header-only packets, a few flows per host) and the
 * udp-flood mix (the same LAN with a ~47 kpps flood of new source ports inside it).
 */
const REAL: Array<{ name: string; file: string }> = [
  { name: 'iot', file: 'train-benign.pcap' },
  { name: 'flood', file: path.join('mixes', 'udp-flood.pcap') },
];

/**
 * tshark's field export: the header fields the sensor decodes, one line per packet (what a
 * script built on tshark reads before it computes anything).
 */
const TSHARK_FIELDS = ['frame.number', 'frame.time_epoch', 'frame.len', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ip.proto', 'ip.ttl',
  'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.len', 'udp.srcport', 'udp.dstport', 'udp.length'];

const OUTPUT_FILES = ['a.db', 'a.db-wal', 'a.db-shm', 'a.csv', 'a.jsonl', 's.csv'];

/**
 * End to end: `lln-detect replay` with the default model and outputs on, in a child process (so
 * its peak RSS is its own): a generated ≥1M-packet capture at a few strides (every output), and
 * real captures at the default stride (`--db --csv --scores-csv`), each repeated in time, with
 * tshark's field export of the same file in the same run and the ratio.
 */
export async function runReplayBench(): Promise<Record<string, number>> {
  const dir = path.join(os.tmpdir(), 'lln-bench');
  mkdirSync(dir, { recursive: true });
  const out: Record<string, number> = {};
  if (SETS.has('generated')) Object.assign(out, await generatedRows(dir));
  for (const real of REAL) if (SETS.has(real.name)) Object.assign(out, await realRows(dir, real.name, real.file));
  return out;
}

async function generatedRows(dir: string): Promise<Record<string, number>> {
  const pcap = path.join(dir, `replay-${PACKETS}.pcap`);
  if (!existsSync(pcap)) await generateCapture({ out: pcap, seed: 7, durationSec: 3600, hosts: 200, packetsTarget: PACKETS, scenarios: [{ kind: 'portscan', startSec: 1800, durationSec: 60 }] });
  const out: Record<string, number> = { packets: PACKETS };
  for (const stride of (process.env.LLN_BENCH_STRIDES ?? '16,32').split(',').map(Number)) {
    const res = replay(dir, pcap, ['--stride', String(stride), '--jsonl', path.join(dir, 'a.jsonl'), '--scores-csv', path.join(dir, 's.csv')]);
    out[`stride${stride}_packets_per_s`] = PACKETS / res.seconds;
    out[`stride${stride}_peak_rss_mb`] = res.maxRssKb / 1024;
  }
  return out;
}

async function realRows(dir: string, name: string, file: string): Promise<Record<string, number>> {
  const src = path.join(REALDATA_DIR, file);
  if (!existsSync(src)) {
    process.stderr.write(`replay bench: ${src} not found (../shared/realdata is beside the development checkout only; set LLN_REALDATA_DIR): the ${name} rows are skipped\n`);
    return {};
  }
  const pcap = path.join(dir, `real-${name}-x${REAL_REPEATS}.pcap`);
  const packets = existsSync(pcap) ? await countPackets(pcap) : await repeatInTime(src, pcap, REAL_REPEATS);
  // Default stride (the model's), outputs as a user runs it.
  const res = replay(dir, pcap, ['--scores-csv', path.join(dir, 's.csv')]);
  const ours = packets / res.seconds;
  const out: Record<string, number> = {
    [`${name}_packets`]: packets,
    [`${name}_packets_per_s`]: ours,
    [`${name}_peak_rss_mb`]: res.maxRssKb / 1024,
  };
  const tshark = tsharkSeconds(pcap);
  if (tshark === null) {
    process.stderr.write('replay bench: tshark not found (apt-get install tshark): the tshark rows are skipped\n');
  } else {
    out[`${name}_tshark_fields_packets_per_s`] = packets / tshark;
    out[`${name}_vs_tshark`] = ours / (packets / tshark);
  }
  return out;
}

function replay(dir: string, pcap: string, extra: string[]): { seconds: number; maxRssKb: number } {
  for (const f of OUTPUT_FILES) rmSync(path.join(dir, f), { force: true });
  const cli = path.join(__dirname, '..', 'src', 'cli', 'main.js');
  const child = path.join(__dirname, 'replay-child.js');
  const args = [child, cli, 'replay', pcap, '--quiet', '--db', path.join(dir, 'a.db'), '--csv', path.join(dir, 'a.csv'), ...extra];
  const res = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as
    { seconds: number; maxRssKb: number; exitCode: number };
  if (res.exitCode !== 0) throw new Error(`replay of ${pcap} exited with ${res.exitCode}`);
  return res;
}

/** Wall seconds of tshark's field export of `pcap` (to /dev/null), or null without tshark. */
function tsharkSeconds(pcap: string): number | null {
  const args = ['-n', '-r', pcap, '-T', 'fields', '-E', 'separator=,', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])];
  const started = process.hrtime.bigint();
  const r = spawnSync('tshark', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * `src` played `repeats` times, each copy starting 1 s after the previous one ended, frames in
 * order (a longer stretch of the same network: hosts and flows recur, as on a LAN). Returns the
 * packet count.
 */
export async function repeatInTime(src: string, out: string, repeats: number): Promise<number> {
  const packets: Array<{ tsSec: number; tsNsec: number; data: Uint8Array; origLen: number; linkType: number }> = [];
  for await (const batch of openCaptureFiles([src])) for (const p of batch) packets.push({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data, origLen: p.origLen, linkType: p.linkType });
  if (packets.length === 0) throw new Error(`${src} holds no packets`);
  const span = packets[packets.length - 1].tsSec - packets[0].tsSec + 1;
  const tmp = `${out}.tmp`;
  const w = new PcapWriter(tmp, { linkType: packets[0].linkType });
  for (let r = 0; r < repeats; r++) for (const p of packets) w.write(p.tsSec + r * span, p.tsNsec, p.data, p.origLen);
  w.closeSync();
  renameSync(tmp, out);
  return packets.length * repeats;
}

async function countPackets(pcap: string): Promise<number> {
  let n = 0;
  for await (const batch of openCaptureFiles([pcap])) n += batch.length;
  return n;
}

if (require.main === module) {
  runReplayBench().then((r) => console.log(JSON.stringify(r)));
}
