import { PcapWriter } from '../capture/pcap-writer';
import { LinkType } from '../capture/raw-packet';
import { LlnError } from '../errors';
import { SeededRandom } from '../seeded-random';
import { ScenarioDriver, ScenarioSpec, SCENARIO_KINDS } from './attack-scenarios';
import { HostActivity, PACKETS_PER_SESSION } from './benign-lan';
import { dhcpSession } from './benign-sessions';
import { CaptureContext } from './capture-context';
import { WEB_NAMES } from './domain-names';
import { buildNetwork } from './network-model';
import { POLLING_PROFILES, PollingSpec, schedulePolling } from './machine-polling';

export type { ScenarioKind, ScenarioSpec } from './attack-scenarios';

export interface GenerateOptions {
  out: string;
  seed: number;
  durationSec: number;
  /** LAN hosts (default 20). */
  hosts?: number;
  /** Stop after exactly this many packets; session rates are scaled so they fill ~durationSec. */
  packetsTarget?: number;
  scenarios?: ScenarioSpec[];
  /** CSV `frame,label,scenario` (label 1 = attack packet). */
  labelsOut?: string;
  /**
   * Cut every frame to this many bytes, as `tcpdump -s N` does (the original length is kept).
   * Small committed samples use it: headers and DNS messages fit, encrypted payloads are cut.
   */
  snaplen?: number;
  /** A supervisory host polling its devices (machine-to-machine traffic, machine-polling.ts); none by default. */
  polling?: PollingSpec;
  /** Capture start, epoch seconds (default 2024-03-04 09:00:00 UTC, fixed so output depends only on the seed). */
  startEpochSec?: number;
}

export interface GenerateResult {
  packets: number;
  anomalous: number;
}

const DEFAULT_START = 1709542800;

/**
 * Writes a synthetic LAN capture: benign sessions from every host plus the requested labelled
 * attacks, merged in time order. Same options and seed → identical bytes.
 */
export async function generateCapture(opts: GenerateOptions): Promise<GenerateResult> {
  validate(opts);
  const rng = new SeededRandom(opts.seed);
  const hostCount = opts.hosts ?? 20;
  const net = buildNetwork(rng, hostCount, WEB_NAMES);
  const baseSec = opts.startEpochSec ?? DEFAULT_START;
  const writer = new PcapWriter(opts.out, { linkType: LinkType.ETHERNET, snaplen: opts.snaplen ?? 262144 });
  const ctx = new CaptureContext(rng, net, writer, baseSec, opts.labelsOut);
  const target = opts.packetsTarget;
  // Scale session arrivals so the requested packet count fits the duration.
  const rateScale = target ? target / (PACKETS_PER_SESSION * HostActivity.meanRate() * hostCount * opts.durationSec) : 1;
  const benignEnd = target ? Number.POSITIVE_INFINITY : opts.durationSec;
  for (const h of net.hosts) {
    // Hosts joining the network at the start renew their lease: a DORA in the first seconds.
    if (rng.chance(0.3)) dhcpSession(ctx, h, rng.next() * Math.min(10, opts.durationSec));
    ctx.schedule(new HostActivity(ctx, h, benignEnd, rateScale, baseSec));
  }
  if (opts.polling) schedulePolling(ctx, opts.polling, opts.durationSec);
  for (const s of opts.scenarios ?? []) ctx.schedule(new ScenarioDriver(ctx, s));
  const q = ctx.queue;
  const limit = target ?? Number.POSITIVE_INFINITY;
  // Sessions started before the end may run past it: stop at the duration (or the packet target).
  const hardEnd = target ? Number.POSITIVE_INFINITY : opts.durationSec;
  while (ctx.packets < limit) {
    const a = q.pop();
    if (!a || a.t >= hardEnd) break;
    if (a.t > ctx.now) ctx.now = a.t;
    if (a.step()) q.push(a);
  }
  await ctx.close();
  return { packets: ctx.packets, anomalous: ctx.anomalous };
}

function validate(o: GenerateOptions): void {
  const bad = (m: string): never => {
    throw new LlnError('LLN_E_USAGE', m);
  };
  if (!o.out) bad('generator: --out <file.pcap> is required');
  if (!Number.isFinite(o.seed)) bad('generator: --seed must be an integer');
  if (!(o.durationSec > 0)) bad('generator: --duration must be a positive number of seconds');
  if (o.hosts !== undefined && !(Number.isInteger(o.hosts) && o.hosts >= 2 && o.hosts <= 200)) bad('generator: --hosts must be an integer from 2 to 200');
  if (o.polling && !POLLING_PROFILES.includes(o.polling.profile)) bad(`generator: unknown polling profile '${o.polling.profile}'; use one of ${POLLING_PROFILES.join(', ')}`);
  if (o.polling && !(Number.isInteger(o.polling.devices) && o.polling.devices >= 1)) bad('generator: polling needs a whole number of devices >= 1');
  if (o.packetsTarget !== undefined && !(Number.isInteger(o.packetsTarget) && o.packetsTarget > 0)) bad('generator: --packets must be a positive integer');
  if (o.snaplen !== undefined && !(Number.isInteger(o.snaplen) && o.snaplen >= 64 && o.snaplen <= 262144)) bad('generator: --snaplen must be an integer from 64 to 262144');
  for (const s of o.scenarios ?? []) {
    if (!SCENARIO_KINDS.includes(s.kind)) bad(`generator: unknown scenario '${s.kind}'; use one of ${SCENARIO_KINDS.join(', ')}`);
    if (!(s.startSec >= 0 && s.durationSec > 0)) bad(`generator: scenario ${s.kind} needs start ≥ 0 and duration > 0`);
    if (s.intensity !== undefined && !(s.intensity > 0)) bad(`generator: scenario ${s.kind} intensity must be > 0`);
  }
}
