import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { PcapStatsAccumulator, type PcapStats, type RawPcapStat } from './pcap-stats';
import { LinkType, type PacketSource, type RawPacket, type SourceStats } from './raw-packet';

/**
 * Live capture through the `cap` libpcap binding.
 *
 * What cap gives and does not give (cap 0.2.1, src/binding.cc):
 * - one 'packet' event per packet, all of one poll wake-up emitted synchronously in a loop, into
 *   ONE reused buffer: every packet must be copied out before the next event;
 * - no timestamp: we stamp arrival time ourselves (µs-level jitter from the event loop,
 *   nanosecond field), and count our own queue drops;
 * - no original length as published: scripts/patch-cap.sh adds the wire length (pcap_pkthdr.len)
 *   as the event's 4th argument, so a frame cut at the snaplen keeps its true length (frame_len
 *   and the decoder's IP length check read it); without the patch origLen = capLen;
 * - no pcap_stats as published: scripts/patch-cap.sh adds stats(), libpcap's counters of the
 *   kernel ring (ps_recv, ps_drop, ps_ifdrop); they vanish with the handle, so close() reads
 *   them one last time first. Without the patch pcapStats() is null;
 * - snaplen: the binding (as patched by scripts/patch-cap.sh) captures min(snaplen, 65535)
 *   bytes. In immediate mode (which cap sets) libpcap's kernel ring has fixed slots of the
 *   snaplen's size, so the snaplen decides how many packets a burst may leave in the ring while
 *   JavaScript works. The default, 512, holds every header the features read and a DNS question
 *   of the longest name (Ethernet, two VLAN tags, IPv6 with extension headers, TCP with options,
 *   the DNS-over-TCP length, header and a 255-byte name: ~420 bytes), so features are those of
 *   whole frames, while the 128 MiB ring holds 226,716 packets instead of 14,439 at 9216
 *   (`npm run bench -- ring`, a veth with MTU 1500) and the training spool keeps no more payload;
 *   promiscuous is always on inside the binding: `promiscuous: false` cannot be honoured and is logged;
 * - when the interface goes down, pcap_dispatch fails silently inside the binding, so a timer
 *   watches /sys/class/net/IF and ends the capture with an error.
 *
 * How iteration ends: normally (done) after close(); with a thrown LlnError('LLN_E_CAPTURE')
 * when the interface goes down or disappears. Packets captured before the failure are yielded
 * first. The daemon catches the error, closes, and reopens with back-off.
 */
export interface LiveCaptureOptions {
  iface: string;
  /** Index of this interface in the configured list (RawPacket.interfaceId). */
  interfaceId: number;
  /** BPF filter (pcap-filter(7)); empty = everything. */
  filter?: string;
  /** Bytes kept per packet (default DEFAULT_SNAPLEN; cap never captures more than 65535). */
  snaplen?: number;
  promiscuous?: boolean;
  /** libpcap kernel ring buffer size in bytes (default 128 MiB: ~200k slots at the default snaplen). */
  bufferSize?: number;
  /** Packets held between capture and the consumer before new ones are dropped (default 65536). */
  queueLimit?: number;
  /** Bytes held in the queue before new packets are dropped (default 64 MiB). */
  queueByteLimit?: number;
  frameCounter: { next(): number };
  /** How often to check that the interface still exists and is up (ms, default 500). */
  linkCheckMs?: number;
}

export interface LivePacketSource extends PacketSource {
  /** libpcap LINKTYPE_* of the interface. */
  readonly linkType: number;
  /** Packets waiting for the consumer right now (for a queue-depth gauge). */
  queueDepth(): number;
  /**
   * libpcap's counters since open, read now (after close: as read at close). Null when the
   * binding has no stats() (cap not patched). Call at least once an hour or so: the raw counters
   * are 32-bit and only increases between readings less than one wrap apart are counted.
   */
  pcapStats(): PcapStats | null;
}

/** cap's open() returns a name for the five link types it knows and "Unknown linktype N" otherwise. */
const LINK_TYPE_BY_CAP_NAME: Record<string, number> = {
  NULL: LinkType.NULL,
  ETHERNET: LinkType.ETHERNET,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  RAW: LinkType.RAW,
};

export function linkTypeFromCapName(name: string): number {
  const known = LINK_TYPE_BY_CAP_NAME[name];
  if (known !== undefined) return known;
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (m) return Number(m[1]);
  throw new LlnError('LLN_E_CAPTURE', `cannot capture: libpcap reported an unrecognised link type '${name}'`);
}

const IFF_UP = 0x1;

/**
 * cap 0.2.1 (src/binding.cc) must never have a handle garbage-collected: its destructor, run by
 * the GC as a V8 weak callback, is unsafe in two ways.
 * - After a successful open(), close() stops the uv_poll handle but never uv_close()s it, then
 *   Unref()s the wrapper; once collected, the freed Pcap's embedded uv_poll_t is still linked in
 *   libuv's handle queue. The destructor also destroys its Nan::AsyncResource, which calls
 *   node::EmitAsyncDestroy from inside the GC, where Environment::GetCurrent() can be null:
 *   SIGSEGV in node::AsyncWrap::EmitDestroy (seen in `config check` on a real interface, which
 *   opens and closes a handle and then allocates heavily loading the model, about one run in two).
 * - When open() throws after pcap_create (no permission, bad filter, device gone), the handle is
 *   half-initialised and the destructor calls uv_poll_stop on an uninitialised libuv handle.
 * So every Cap instance stays reachable for the life of the process and its destructor never
 * runs. The cost per open is the small native object (its pcap_t is closed by close()) and an
 * emptied JS wrapper: close() removes the 'packet' listener, so the source's queue and buffer are
 * not retained. The common failure of the daemon's retry loop (interface missing or down) is
 * checked from sysfs BEFORE creating a handle, so retries do not pile them up.
 */
const CAP_HANDLES_NEVER_FREED: unknown[] = [];

/** Why the interface can no longer be captured on, or null when it looks fine. */
function linkProblem(iface: string): string | null {
  const dir = `/sys/class/net/${iface}`;
  if (!existsSync(dir)) return 'the interface disappeared';
  try {
    const flags = parseInt(readFileSync(`${dir}/flags`, 'utf8').trim(), 16);
    if (!Number.isNaN(flags) && (flags & IFF_UP) === 0) return 'the interface went down';
  } catch {
    return 'the interface disappeared';
  }
  return null;
}

function openError(iface: string, filter: string, e: unknown): LlnError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) {
    return new LlnError(
      'LLN_E_CAPTURE_PERMISSION',
      `cannot capture on ${iface}: permission denied; run as root, or grant the capability: ` +
        `sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node)), or use the systemd unit`,
      { cause: e },
    );
  }
  if (/no such device|doesn't exist|does not exist/i.test(msg)) return unknownInterface(iface, e);
  if (filter && /syntax|parse|filter|unknown|illegal|expression|bpf/i.test(msg)) {
    return new LlnError('LLN_E_CAPTURE', `cannot capture on ${iface}: bad BPF filter '${filter}': ${msg}`, { cause: e });
  }
  return new LlnError('LLN_E_CAPTURE', `cannot capture on ${iface}: ${msg}`, { cause: e });
}

function unknownInterface(iface: string, cause?: unknown): LlnError {
  // Lazy require: the native addon is needed only when capturing live.
  const { listInterfaces } = require('./interfaces') as typeof import('./interfaces');
  let names = '(none found)';
  try {
    names = listInterfaces().map((i) => i.name).join(', ') || names;
  } catch {
    /* the list is only a hint */
  }
  return new LlnError('LLN_E_CAPTURE', `cannot capture on ${iface}: no such interface; interfaces here: ${names} (see: lln-detect interfaces)`, { cause });
}

/** Bytes kept per packet unless configured: every header the features read and a whole DNS question (see above). */
export const DEFAULT_SNAPLEN = 512;

export function openLiveCapture(opts: LiveCaptureOptions): LivePacketSource {
  const iface = opts.iface;
  const filter = opts.filter ?? '';
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  const bufferSize = opts.bufferSize ?? 128 * 1024 * 1024;
  const queueLimit = opts.queueLimit ?? 65536;
  const queueByteLimit = opts.queueByteLimit ?? 64 * 1024 * 1024;
  if (opts.promiscuous === false) logger.warn(`capture on ${iface}: the cap binding always enables promiscuous mode; promiscuous: false is ignored`);

  let CapCtor: new () => CapHandle;
  try {
    CapCtor = (require('cap') as { Cap: new () => CapHandle }).Cap;
  } catch (e) {
    throw new LlnError('LLN_E_CAPTURE', `cannot capture on ${iface}: the 'cap' module failed to load (${(e as Error).message}); install libpcap-dev and rebuild: npm rebuild cap`, { cause: e });
  }

  if (iface.length === 0 || iface.includes('/') || iface === '.' || iface === '..') throw unknownInterface(iface);
  if (iface !== 'any' && existsSync('/sys/class/net')) {
    if (!existsSync(`/sys/class/net/${iface}`)) throw unknownInterface(iface);
    if (linkProblem(iface) === 'the interface went down') {
      throw new LlnError('LLN_E_CAPTURE', `cannot capture on ${iface}: the interface is down; bring it up (ip link set ${iface} up)`);
    }
  }

  const cap = new CapCtor();
  CAP_HANDLES_NEVER_FREED.push(cap); // before anything can throw: see CAP_HANDLES_NEVER_FREED
  const capBuffer = Buffer.alloc(Math.max(64, Math.min(snaplen, 262144)));
  let capName: string;
  try {
    capName = cap.open(iface, filter, bufferSize, capBuffer);
  } catch (e) {
    const err = openError(iface, filter, e);
    // libpcap's message for a missing device varies by version; double-check against the list.
    if (err.code === 'LLN_E_CAPTURE' && !/no such interface|bad BPF/.test(err.message) && !existsSync(`/sys/class/net/${iface}`) && iface !== 'any') {
      throw unknownInterface(iface, e);
    }
    throw err;
  }
  const linkType = linkTypeFromCapName(capName);

  // Wall clock at open + monotonic offset: no jumps when NTP steps the clock mid-capture. Plain
  // doubles (BigInt arithmetic allocated five times per packet): whole seconds at open, plus
  // milliseconds since that second, which keep sub-microsecond precision for years.
  const wallAtOpen = Date.now();
  const secAtOpen = Math.floor(wallAtOpen / 1000);
  const msIntoSecAtOpen = wallAtOpen - secAtOpen * 1000;
  const perfAtOpen = performance.now();

  let queue: RawPacket[] = [];
  let queueBytes = 0;
  let queueDrops = 0;
  let packets = 0;
  let bytes = 0;
  let closed = false;
  let failure: LlnError | null = null;
  let waiter: (() => void) | null = null;
  let wakeScheduled = false;
  let closedHandle = false;
  const pcap = typeof cap.stats === 'function' ? new PcapStatsAccumulator() : null;
  const readPcapStats = (): void => {
    if (!pcap || closedHandle) return;
    try {
      pcap.update(cap.stats!());
    } catch {
      /* the handle failed (interface gone): keep the last reading */
    }
  };

  // Wake the consumer after the binding's dispatch loop has emitted everything of this poll
  // round (setImmediate runs after the poll phase), so batches are as large as the traffic allows.
  const wake = (): void => {
    wakeScheduled = false;
    const w = waiter;
    waiter = null;
    w?.();
  };
  const scheduleWake = (): void => {
    if (!wakeScheduled && waiter) {
      wakeScheduled = true;
      setImmediate(wake);
    }
  };

  cap.on('packet', (nbytes: number, _truncated: boolean, wireLen?: number) => {
    if (closed) return;
    if (queue.length >= queueLimit || queueBytes + nbytes > queueByteLimit) {
      queueDrops++;
      return;
    }
    const data = Buffer.allocUnsafe(nbytes);
    capBuffer.copy(data, 0, 0, nbytes);
    const ms = msIntoSecAtOpen + (performance.now() - perfAtOpen);
    const sec = Math.floor(ms / 1000);
    const nsec = Math.round((ms - sec * 1000) * 1e6);
    queue.push({
      frame: opts.frameCounter.next(),
      tsSec: secAtOpen + sec,
      tsNsec: nsec < 999_999_999 ? nsec : 999_999_999,
      tsDigits: 9,
      capLen: nbytes,
      origLen: wireLen !== undefined && wireLen > nbytes ? wireLen : nbytes,
      linkType,
      interfaceId: opts.interfaceId,
      data,
      source: iface,
    });
    queueBytes += nbytes;
    packets++;
    bytes += nbytes;
    scheduleWake();
  });

  const stopCapture = (): void => {
    clearInterval(linkTimer);
    readPcapStats();
    closedHandle = true;
    try {
      cap.close();
    } catch {
      /* already closed */
    }
    // The handle itself is kept forever (CAP_HANDLES_NEVER_FREED); what the listener's closure
    // holds (queue, capture buffer) need not be.
    cap.removeAllListeners('packet');
  };

  const linkTimer = setInterval(() => {
    if (iface === 'any') return;
    const problem = linkProblem(iface);
    if (problem && !closed) {
      failure = new LlnError('LLN_E_CAPTURE', `capture on ${iface} stopped: ${problem}; the daemon retries with back-off`);
      closed = true;
      stopCapture();
      wake();
    }
  }, opts.linkCheckMs ?? 500);
  // The capture itself keeps the process alive (the binding Ref()s its handle); the timer must not.
  linkTimer.unref();

  const source: LivePacketSource = {
    name: iface,
    linkType,
    queueDepth: () => queue.length,
    pcapStats(): PcapStats | null {
      readPcapStats();
      return pcap ? pcap.totals : null;
    },
    stats(): SourceStats {
      return { packets, bytes, unknownLinkType: 0, queueDrops };
    },
    close(): void {
      if (closed) return;
      closed = true;
      stopCapture();
      wake();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<RawPacket[]> {
      for (;;) {
        if (queue.length > 0) {
          const batch = queue;
          queue = [];
          queueBytes = 0;
          yield batch;
          continue;
        }
        if (failure) throw failure;
        if (closed) return;
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
    },
  };
  return source;
}

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  /** Added by scripts/patch-cap.sh; throws once the handle is closed. */
  stats?(): RawPcapStat;
  /** wireLen: the frame's length on the wire, from the patched binding (scripts/patch-cap.sh); undefined without the patch. */
  on(event: 'packet', fn: (nbytes: number, truncated: boolean, wireLen?: number) => void): void;
  removeAllListeners(event: 'packet'): void;
}
