import { realpathSync } from 'node:fs';
import path from 'node:path';

/** A path the service needs: to read (its code, model, spool) or to write (database, logs). */
export interface ServicePath {
  /** What it is, as the user knows it: `ExecStart node`, `model.dir`, `outputs.sqlite` … */
  what: string;
  path: string;
  write: boolean;
}

export interface SandboxProblem extends ServicePath {
  message: string;
}

interface Sandbox {
  /** Path prefixes the service sees empty (or not at all), with the unit setting that hides them. */
  hidden: Array<{ prefix: string; setting: string }>;
  /** With ProtectSystem=strict: only these prefixes are writable (null: no such restriction). */
  writable: string[] | null;
  readOnly: Array<{ prefix: string; setting: string }>;
}

/** The last value of each `Key=` in the unit (systemd: a later assignment wins; lists accumulate). */
function settings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of unit.split('\n')) {
    const m = /^\s*([A-Za-z]+)=(.*)$/.exec(raw);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    if (m[2] === '') list.length = 0;
    else list.push(m[2]!.trim());
    out.set(m[1]!, list);
  }
  return out;
}

function last(s: Map<string, string[]>, key: string): string | undefined {
  const v = s.get(key);
  return v && v.length > 0 ? v[v.length - 1] : undefined;
}

const yes = (v: string | undefined) => v !== undefined && /^(yes|true|on|1)$/i.test(v);

/** What the unit's PrivateTmp=, ProtectHome=, ProtectSystem= and *Directory= settings let the service see and write. */
export function sandboxOf(unit: string): Sandbox {
  const s = settings(unit);
  const hidden: Sandbox['hidden'] = [];
  const readOnly: Sandbox['readOnly'] = [];
  if (yes(last(s, 'PrivateTmp'))) for (const p of ['/tmp', '/var/tmp']) hidden.push({ prefix: p, setting: 'PrivateTmp=yes' });
  const home = last(s, 'ProtectHome');
  const homes = ['/home', '/root', '/run/user'];
  if (yes(home) || home === 'tmpfs') for (const p of homes) hidden.push({ prefix: p, setting: `ProtectHome=${home}` });
  else if (home === 'read-only') for (const p of homes) readOnly.push({ prefix: p, setting: 'ProtectHome=read-only' });
  let writable: string[] | null = null;
  if (last(s, 'ProtectSystem') === 'strict') {
    writable = ['/dev', '/proc', '/sys', '/run/systemd/notify'];
    const dirs: Array<[string, string]> = [['StateDirectory', '/var/lib'], ['LogsDirectory', '/var/log'], ['ConfigurationDirectory', '/etc'], ['CacheDirectory', '/var/cache'], ['RuntimeDirectory', '/run']];
    for (const [key, base] of dirs) for (const v of s.get(key) ?? []) for (const d of v.split(/\s+/)) writable.push(path.join(base, d));
    for (const v of s.get('ReadWritePaths') ?? []) for (const d of v.split(/\s+/)) writable.push(d.replace(/^[-+]+/, ''));
    // PrivateTmp gives the service a writable /tmp of its own; it is still not the host's.
  }
  return { hidden, writable, readOnly };
}

const under = (p: string, prefix: string) => p === prefix || p.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

/** The path as the kernel resolves it (a symlink into /tmp is as hidden as /tmp itself). */
function resolved(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    // Not there yet (a database the service will create): resolve the nearest existing parent.
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(resolved(parent), path.basename(abs));
  }
}

/** Every path the service cannot see, or cannot write although it must. */
export function sandboxProblems(unit: string, paths: ServicePath[]): SandboxProblem[] {
  const box = sandboxOf(unit);
  const out: SandboxProblem[] = [];
  for (const sp of paths) {
    const real = resolved(sp.path);
    const shown = real === path.resolve(sp.path) ? sp.path : `${sp.path} (${real})`;
    const hid = box.hidden.find((h) => under(real, h.prefix));
    if (hid) {
      const what = hid.prefix.includes('tmp') ? `the unit has ${hid.setting}: it sees a private, empty ${hid.prefix}` : `the unit has ${hid.setting}: ${hid.prefix} is empty to it`;
      out.push({ ...sp, message: `${sp.what} ${shown} is invisible to the service (${what}); put it under /usr, /opt, /var/lib or /srv` });
      continue;
    }
    if (!sp.write) continue;
    const ro = box.readOnly.find((h) => under(real, h.prefix));
    const notWritable = ro ? ro.setting : box.writable && !box.writable.some((w) => under(real, w)) ? 'ProtectSystem=strict' : null;
    if (notWritable) {
      out.push({ ...sp, message: `${sp.what} ${shown} is read-only to the service (${notWritable}); put it under /var/lib/lln-detect, or add its directory to ReadWritePaths= in a drop-in (systemctl edit lln-detect)` });
    }
  }
  return out;
}
