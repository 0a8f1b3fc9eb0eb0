import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ClientConfig } from 'pg';
import { parse as parseConnectionString, toClientConfig } from 'pg-connection-string';
import { LlnError } from '../errors';

/** Where and as whom a sensor forwards: checked once at start, the password never kept in a URL. */
export interface PgTarget {
  /** The URL without any password (safe to log). */
  url: string;
  /** host:port/database, for log lines, metrics and the status section. */
  label: string;
  sensor: string;
  passwordFile?: string;
  clientConfig(): ClientConfig;
}

export interface PgTargetOptions {
  url: string;
  passwordFile?: string;
  sensor?: string;
  /** Where the settings came from, for error messages: '--pg' or 'outputs.postgres'. */
  where: string;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

const SSLMODES = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);
const SENSOR_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/;

/** Validate a PostgreSQL target; every problem is one LLN_E_CONFIG line naming the setting. */
export function pgTarget(o: PgTargetOptions): PgTarget {
  const bad = (what: string) => new LlnError('LLN_E_CONFIG', `${o.where}: ${what}`);
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw bad(`'${redactUrl(o.url)}' is not a URL; write postgresql://ROLE@HOST:5432/DATABASE?sslmode=verify-full`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw bad(`the URL must start with postgresql:// (got ${u.protocol}//); write postgresql://ROLE@HOST:5432/DATABASE`);
  }
  if (u.password) {
    throw bad('the URL holds a password, which would show in process lists and logs; remove it and put the password in a file (passwordFile / --pg-password-file) or in PGPASSWORD');
  }
  if (!u.hostname) throw bad('the URL names no host; write postgresql://ROLE@HOST:5432/DATABASE');
  if (!u.username) throw bad('the URL names no role; write postgresql://ROLE@HOST:5432/DATABASE');
  const db = u.pathname.replace(/^\//, '');
  if (!db) throw bad('the URL names no database; write postgresql://ROLE@HOST:5432/DATABASE');
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode !== null && !SSLMODES.has(sslmode)) {
    throw bad(`sslmode=${sslmode} is not one of ${[...SSLMODES].join(', ')}`);
  }
  for (const k of ['sslrootcert', 'sslcert', 'sslkey']) {
    const f = u.searchParams.get(k);
    if (f) readable(f, `${o.where}: ${k} ${f}`);
  }
  let password: string | undefined;
  if (o.passwordFile) {
    password = readable(o.passwordFile, `${o.where}: password file ${o.passwordFile}`).replace(/\r?\n$/, '');
    if (!password) throw bad(`password file ${o.passwordFile} is empty; write the role's password in it`);
  }
  const sensor = o.sensor ?? hostname();
  if (!SENSOR_RE.test(sensor)) {
    throw bad(`sensor id '${sensor}' is not 1-63 letters, digits, '.', '_', ':' or '-'; set outputs.postgres.sensor / --sensor`);
  }
  const url = u.toString();
  // node-postgres treats prefer, require and verify-ca as verify-full (README), and says so in a
  // nine-line warning on stderr the first time it parses one: give it verify-full, which it does anyway.
  const driverUrl = new URL(url);
  if (sslmode === 'prefer' || sslmode === 'require' || sslmode === 'verify-ca') driverUrl.searchParams.set('sslmode', 'verify-full');
  const label = `${u.hostname}:${u.port || '5432'}/${db}`;
  const passwordFile = o.passwordFile;
  return {
    url, label, sensor, passwordFile,
    clientConfig: () => ({
      // Fields, not connectionString: pg lets a connection string override the password given beside it.
      ...toClientConfig(parseConnectionString(driverUrl.toString())),
      // Re-read at every connection, so a rotated password is picked up without a restart.
      ...(passwordFile ? { password: () => readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '') } : password ? { password } : {}),
      connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
      query_timeout: o.queryTimeoutMs ?? 30_000,
      statement_timeout: o.queryTimeoutMs ?? 30_000,
      application_name: `lln-detect ${sensor}`.slice(0, 63),
      keepAlive: true,
    }),
  };
}

function readable(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new LlnError('LLN_E_CONFIG', `${what} cannot be read (${code}); create it readable by the sensor's user (mode 0600) or fix the path`);
  }
}

/** A URL with any password replaced, for messages about a URL that failed validation. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}
