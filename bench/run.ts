/**
 * `npm run bench`: every benchmark part in turn, numbers printed as one JSON object per part
 * and a final table. Parts: read, decode, features, model, replay (end to end: a generated capture,
 * and real captures from ../shared/realdata against tshark's field export when it is there), daemon (live,
 * needs root: a veth pair in a network namespace), ring (packets libpcap's kernel ring holds in a burst the
 * sensor does not read, per snaplen; root), fleet (forwarding to a PostgreSQL started here), ui (the web view's pages on
 * 10,000 incidents, in headless chromium), shed (detection of realdata's attack mixes with the daemon's
 * overload shedding at one window in 1, 4, 16, 64).
 * `npm run bench -- read model` runs only the named parts.
 */
import { runReadBench } from './read-bench';
import { runDecodeBench } from './decode-bench';
import { runFeaturesBench } from './features-bench';
import { runModelBench } from './model-bench';
import { runReplayBench } from './replay-bench';
import { runDaemonBench } from './daemon-bench';
import { runRingBench } from './ring-bench';
import { runFleetBench } from './fleet-bench';
import { runUiBench } from './ui-bench';
import { runShedQualityBench } from './shed-quality';

const PARTS: Record<string, () => Promise<Record<string, number>>> = {
  read: runReadBench,
  decode: runDecodeBench,
  features: runFeaturesBench,
  model: runModelBench,
  replay: runReplayBench,
  daemon: runDaemonBench,
  ring: runRingBench,
  fleet: runFleetBench,
  ui: runUiBench,
  shed: runShedQualityBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(PARTS);
  const results: Record<string, Record<string, number>> = {};
  for (const name of names) {
    const part = PARTS[name];
    if (!part) throw new Error(`unknown bench part '${name}' (parts: ${Object.keys(PARTS).join(', ')})`);
    process.stderr.write(`== bench ${name}\n`);
    results[name] = await part();
    process.stdout.write(JSON.stringify({ part: name, ...results[name] }) + '\n');
  }
  process.stdout.write('\n');
  for (const [name, r] of Object.entries(results)) {
    for (const [k, v] of Object.entries(r)) process.stdout.write(`${name.padEnd(9)} ${k.padEnd(40)} ${fmt(v)}\n`);
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(4)));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
