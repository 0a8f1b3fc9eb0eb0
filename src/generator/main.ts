import { isLlnError, LlnError } from '../errors';
import { ScenarioKind, ScenarioSpec, SCENARIO_KINDS } from './attack-scenarios';
import { generateCapture } from './generate-capture';
import { POLLING_PROFILES, PollingSpec } from './machine-polling';

const USAGE = `usage: node dist/src/generator/main.js --out x.pcap --seed 1 --duration 600
  [--hosts 20] [--packets N] [--snaplen N] [--labels x.labels.csv]
  [--polling industrial|monitoring[:devices]]   a supervisory host polling its devices
  [--scenario kind@start+duration[*intensity]] ...   kinds: ${SCENARIO_KINDS.join(', ')}`;

/** "portscan@300+60*2" → { kind, startSec: 300, durationSec: 60, intensity: 2 }. */
export function parseScenarioArg(s: string): ScenarioSpec {
  const m = /^([a-z]+)@(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)(?:\*(\d+(?:\.\d+)?))?$/.exec(s);
  if (!m) throw new LlnError('LLN_E_USAGE', `bad --scenario '${s}': write kind@start+duration[*intensity], e.g. portscan@300+60`);
  if (!(SCENARIO_KINDS as readonly string[]).includes(m[1])) throw new LlnError('LLN_E_USAGE', `unknown scenario '${m[1]}': use one of ${SCENARIO_KINDS.join(', ')}`);
  return { kind: m[1] as ScenarioKind, startSec: Number(m[2]), durationSec: Number(m[3]), intensity: m[4] ? Number(m[4]) : undefined };
}

/** "industrial:24" → 24 devices polled Modbus/S7/EtherNet-IP/DNP3-style; without a count, every other host. */
export function parsePollingArg(s: string, hosts: number): PollingSpec {
  const [profile, count] = s.split(':');
  if (!(POLLING_PROFILES as readonly string[]).includes(profile)) throw new LlnError('LLN_E_USAGE', `bad --polling '${s}': use ${POLLING_PROFILES.join(' or ')}, optionally :devices, e.g. industrial:24`);
  const devices = count === undefined ? hosts - 1 : Number(count);
  if (!(Number.isInteger(devices) && devices >= 1)) throw new LlnError('LLN_E_USAGE', `bad --polling '${s}': the device count must be a whole number >= 1`);
  return { profile: profile as PollingSpec['profile'], devices };
}

async function main(argv: string[]): Promise<void> {
  const opts: Record<string, string> = {};
  const scenarios: ScenarioSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return;
    }
    const v = argv[i + 1];
    if (!a.startsWith('--') || v === undefined) throw new LlnError('LLN_E_USAGE', `unexpected argument '${a}'\n${USAGE}`);
    i++;
    if (a === '--scenario') scenarios.push(parseScenarioArg(v));
    else if (['--out', '--seed', '--duration', '--hosts', '--packets', '--snaplen', '--labels', '--polling'].includes(a)) opts[a.slice(2)] = v;
    else throw new LlnError('LLN_E_USAGE', `unknown option ${a}\n${USAGE}`);
  }
  const num = (k: string): number | undefined => (opts[k] === undefined ? undefined : Number(opts[k]));
  const started = process.hrtime.bigint();
  const r = await generateCapture({
    out: opts.out,
    seed: num('seed') ?? 1,
    durationSec: num('duration') ?? 600,
    hosts: num('hosts'),
    packetsTarget: num('packets'),
    snaplen: num('snaplen'),
    labelsOut: opts.labels,
    scenarios,
    polling: opts.polling === undefined ? undefined : parsePollingArg(opts.polling, num('hosts') ?? 20),
  });
  const sec = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`wrote ${opts.out}: ${r.packets} packets (${r.anomalous} attack) in ${sec.toFixed(2)} s (${Math.round(r.packets / sec)} packets/s)`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(isLlnError(e) ? `${e.code}: ${e.message}` : e);
    process.exit(isLlnError(e) ? e.exitCode : 1);
  });
}
