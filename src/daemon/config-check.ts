import { existsSync, statSync } from 'node:fs';
import { isLlnError } from '../errors';
import type { DaemonConfig, InterfaceConfig } from './config-schema';
import { keepsRoot, lookupUser } from './privilege-drop';

/** One thing `config check` looked at: it holds (ok), cannot be known before the daemon runs (warning), or is wrong (error). */
export interface CheckFinding {
  level: 'ok' | 'warning' | 'error';
  what: string;
  message: string;
}

export interface CheckOptions {
  /** The BPF filter the daemon would apply on this interface (its own metrics port excluded). */
  filterFor: (ifc: InterfaceConfig) => string;
}

/**
 * What can be checked without capturing a packet: the interfaces exist (pcap_findalldevs), each
 * effective BPF filter compiles (a handle opened on the interface with the filter set, closed
 * before a packet is read: libpcap compiles filters against the interface's link type, and the
 * `cap` binding offers no dead handle), the model directory loads, the spool directory exists.
 * What needs privileges the caller lacks is a warning that says so, never an `ok`.
 */
export async function checkDaemonConfig(cfg: DaemonConfig, o: CheckOptions): Promise<CheckFinding[]> {
  const out: CheckFinding[] = [];
  out.push(...checkInterfaces(cfg, o));
  out.push(await checkModel(cfg));
  if (cfg.spool) out.push(checkDir('spool.dir', cfg.spool.dir));
  if (cfg.user !== undefined && !keepsRoot(cfg.user)) out.push(checkUser(cfg.user));
  return out;
}

/** Only a user the config names: the default one missing is a warning the daemon logs at start. */
function checkUser(name: string): CheckFinding {
  const u = lookupUser(name);
  if (!u) return { level: 'error', what: `user ${name}`, message: 'no such user: started as root, the daemon would refuse to start (create it, or set user: root)' };
  return { level: 'ok', what: `user ${name}`, message: `exists (uid ${u.uid}, gid ${u.gid}); started as root, the daemon drops to it once capture is open` };
}

function checkInterfaces(cfg: DaemonConfig, o: CheckOptions): CheckFinding[] {
  if (cfg.interfaces.length === 0) return [];
  const { listInterfaces } = require('../capture/interfaces') as typeof import('../capture/interfaces');
  let known: string[];
  try {
    known = listInterfaces().map((i) => i.name);
  } catch (e) {
    return cfg.interfaces.map((i) => ({ level: 'warning', what: `interface ${i.name}`, message: `not checked: ${(e as Error).message}` }));
  }
  return cfg.interfaces.map((ifc) => {
    const what = `interface ${ifc.name}`;
    if (!known.includes(ifc.name)) {
      return { level: 'error', what, message: `no such capture interface; interfaces here: ${known.join(', ') || '(none found)'} (see: lln-detect interfaces)` };
    }
    return checkFilter(what, ifc, o.filterFor(ifc));
  });
}

function checkFilter(what: string, ifc: InterfaceConfig, filter: string): CheckFinding {
  const shown = filter ? `filter '${filter}'` : 'no filter';
  const { openLiveCapture } = require('../capture/live-source') as typeof import('../capture/live-source');
  try {
    // A small ring, closed in the same turn of the event loop: no packet reaches JavaScript.
    const src = openLiveCapture({ iface: ifc.name, interfaceId: 0, filter, snaplen: ifc.snaplen, bufferSize: 1 << 20, queueLimit: 1, frameCounter: { next: () => 0 } });
    src.close();
    return { level: 'ok', what, message: filter ? `exists; ${shown} compiles` : `exists; ${shown}` };
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^cannot capture on \S+: /, '') : String(e);
    if (isLlnError(e) && e.code === 'LLN_E_CAPTURE_PERMISSION') {
      return { level: 'warning', what, message: `exists; ${shown} not compiled: opening the interface needs CAP_NET_RAW (run config check as root to check it)` };
    }
    if (/bad BPF filter/.test(msg)) return { level: 'error', what, message: msg };
    if (/is down/.test(msg)) return { level: 'warning', what, message: `exists but is down${filter ? `; ${shown} not compiled` : ''} (the daemon retries until it is up)` };
    return { level: 'warning', what, message: `exists; ${shown} not compiled: ${msg}` };
  }
}

async function checkModel(cfg: DaemonConfig): Promise<CheckFinding> {
  const { DEFAULT_MODEL_DIR } = await import('../paths');
  const dir = cfg.model.dir ?? DEFAULT_MODEL_DIR;
  const what = `model ${dir}`;
  try {
    const { openScorer } = await import('../pipeline/open-scorer');
    const { checkModelFits } = await import('./daemon-model');
    const m = await openScorer({ modelDir: dir, backend: 'auto', worker: false, batch: 1 });
    try {
      checkModelFits(cfg, m, m.window);
    } finally {
      await m.scorer.dispose();
    }
    const threshold = cfg.model.threshold ?? m.threshold;
    return { level: 'ok', what, message: `loads: ${m.id}, window ${m.window}, stride ${cfg.window.stride ?? m.stride}, threshold ${threshold.toFixed(4)}` };
  } catch (e) {
    return { level: 'error', what, message: e instanceof Error ? e.message : String(e) };
  }
}

function checkDir(what: string, dir: string): CheckFinding {
  if (!existsSync(dir)) return { level: 'warning', what: `${what} ${dir}`, message: 'does not exist (the daemon warns on every poll until it does)' };
  if (!statSync(dir).isDirectory()) return { level: 'error', what: `${what} ${dir}`, message: 'is not a directory' };
  return { level: 'ok', what: `${what} ${dir}`, message: 'exists' };
}
