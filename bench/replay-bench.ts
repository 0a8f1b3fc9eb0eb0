import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';

const PACKETS = Number(process.env.LLN_BENCH_PACKETS ?? 1_000_000);

/**
 * End to end: `lln-detect replay` of a generated ≥1M-packet capture with the default model and
 * every output on, in a child process (so its peak RSS is its own), at a few strides.
 */
export async function runReplayBench(): Promise<Record<string, number>> {
  const dir = path.join(os.tmpdir(), 'lln-bench');
  mkdirSync(dir, { recursive: true });
  const pcap = path.join(dir, `replay-${PACKETS}.pcap`);
  if (!existsSync(pcap)) await generateCapture({ out: pcap, seed: 7, durationSec: 3600, hosts: 200, packetsTarget: PACKETS, scenarios: [{ kind: 'portscan', startSec: 1800, durationSec: 60 }] });
  const cli = path.join(__dirname, '..', 'src', 'cli', 'main.js');
  const child = path.join(__dirname, 'replay-child.js');
  const out: Record<string, number> = { packets: PACKETS };
  for (const stride of (process.env.LLN_BENCH_STRIDES ?? '16,32').split(',').map(Number)) {
    for (const f of ['a.db', 'a.db-wal', 'a.db-shm', 'a.csv', 'a.jsonl', 's.csv']) rmSync(path.join(dir, f), { force: true });
    const res = JSON.parse(
      execFileSync(process.execPath, [child, cli, 'replay', pcap, '--quiet', '--stride', String(stride), '--db', path.join(dir, 'a.db'), '--csv', path.join(dir, 'a.csv'),
        '--jsonl', path.join(dir, 'a.jsonl'), '--scores-csv', path.join(dir, 's.csv')], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!,
    );
    out[`stride${stride}_packets_per_s`] = PACKETS / res.seconds;
    out[`stride${stride}_peak_rss_mb`] = res.maxRssKb / 1024;
  }
  return out;
}

if (require.main === module) {
  runReplayBench().then((r) => console.log(JSON.stringify(r)));
}
