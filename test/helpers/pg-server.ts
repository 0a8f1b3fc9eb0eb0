import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ensurePgSchema } from '../../src/fleet/pg-migrate';
import { sensorGrants } from '../../src/fleet/pg-schema';
import { freePort } from './daemon-harness';

/**
 * A real PostgreSQL server for one test file: initdb in a temporary directory, a free port on
 * 127.0.0.1 (and a Unix socket in the same directory), fsync off (a test database need not
 * survive a power cut), stopped and removed by destroy(). initdb refuses to run as root, so as
 * root every server command runs as the unprivileged `postgres` user (or `nobody`) via runuser.
 */
export const ADMIN = 'lln_admin';
export const SENSOR_ROLE = 'lln_sensor';
export const ADMIN_PASSWORD = 'admin-test-password';
export const SENSOR_PASSWORD = 'sensor-test-password-7f3a';

function findBin(): string | null {
  const roots = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of roots) {
    const d = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl'))) return d;
  }
  const w = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return w.status === 0 && w.stdout.trim() ? path.dirname(w.stdout.trim()) : null;
}

function unprivilegedUser(): string | null {
  if (userInfo().uid !== 0) return null;
  for (const u of ['postgres', 'nobody']) if (spawnSync('id', ['-u', u]).status === 0) return u;
  return 'nobody';
}

/** Why PostgreSQL tests cannot run here, or null when they can. */
export function pgSkipReason(): string | null {
  if (!findBin()) return 'PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql (scripts/setup.sh does)';
  if (userInfo().uid === 0 && spawnSync('sh', ['-c', 'command -v runuser']).status !== 0) return 'running as root without runuser: initdb cannot run';
  return null;
}

export class PgServer {
  readonly dir: string;
  readonly data: string;
  private running = false;
  private nice = 0;

  private constructor(readonly bin: string, readonly user: string | null, readonly port: number) {
    this.dir = mkdtempSync('/tmp/lln-pg-');
    this.data = path.join(this.dir, 'data');
    if (user) {
      const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
      chownSync(this.dir, uid, gid);
    }
    chmodSync(this.dir, 0o755);
  }

  /** initdb + start + a database `fleet` at the current schema + a sensor role with only its GRANTs. */
  /** nice: run the server at this niceness (the fleet bench: the central database normally has a machine of its own). */
  static async create(opts: { nice?: number; tls?: boolean } = {}): Promise<PgServer> {
    const bin = findBin();
    if (!bin) throw new Error(pgSkipReason() ?? 'no PostgreSQL');
    const s = new PgServer(bin, unprivilegedUser(), await freePort());
    s.nice = opts.nice ?? 0;
    const pw = path.join(s.dir, 'admin.pw');
    writeFileSync(pw, ADMIN_PASSWORD + '\n');
    s.chown(pw);
    s.exec('initdb', ['-D', s.data, '-U', ADMIN, '--auth=scram-sha-256', `--pwfile=${pw}`, '-E', 'UTF8', '--no-locale', '-N']);
    rmSync(pw);
    if (opts.tls) s.setUpTls();
    s.start();
    await s.admin('postgres', async (c) => {
      await c.query('CREATE DATABASE fleet');
      await c.query(`CREATE ROLE ${SENSOR_ROLE} LOGIN PASSWORD '${SENSOR_PASSWORD}'`);
    });
    await s.admin('fleet', async (c) => {
      await ensurePgSchema(c, 'test');
      await c.query(sensorGrants(SENSOR_ROLE));
    });
    return s;
  }

  /** The CA certificate the server's certificate (for 127.0.0.1 and localhost) is signed by (tls: true). */
  caFile = '';

  /**
   * A throw-away CA and a server certificate signed by it; ssl on; the sensor role may log in over
   * TLS only (a hostnossl reject line first in pg_hba.conf).
   */
  private setUpTls(): void {
    const d = this.dir;
    const ssl = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: d, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=lln-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
    writeFileSync(path.join(d, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'server.crt', '-extfile', 'san.ext']);
    for (const f of ['server.key', 'server.crt']) this.chown(path.join(d, f));
    chmodSync(path.join(d, 'server.key'), 0o600);
    this.caFile = path.join(d, 'ca.pem');
    const hba = path.join(this.data, 'pg_hba.conf');
    writeFileSync(hba, `hostnossl all ${SENSOR_ROLE} all reject\n` + readFileSync(hba, 'utf8'));
    this.tls = true;
  }

  private tls = false;

  private chown(file: string): void {
    if (!this.user) return;
    spawnSync('chown', [this.user, file]);
  }

  private exec(tool: string, args: string[]): string {
    const cmd = path.join(this.bin, tool);
    const argv = [...(this.nice ? ['nice', '-n', String(this.nice)] : []), cmd, ...args];
    const r = this.user ? spawnSync('runuser', ['-u', this.user, '--', ...argv], { encoding: 'utf8', timeout: 60_000 }) : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  start(): void {
    if (this.running) return;
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c synchronous_commit=off ` +
      '-c full_page_writes=off -c max_connections=40 -c shared_buffers=32MB' +
      (this.tls ? ` -c ssl=on -c ssl_cert_file=${this.dir}/server.crt -c ssl_key_file=${this.dir}/server.key` : '');
    this.exec('pg_ctl', ['-D', this.data, '-o', opts, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
    this.running = true;
  }

  stop(): void {
    if (!this.running) return;
    this.exec('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  destroy(): void {
    try {
      this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The sensor's URL (no password: that goes in a file or PGPASSWORD). */
  sensorUrl(db = 'fleet'): string {
    return `postgresql://${SENSOR_ROLE}@127.0.0.1:${this.port}/${db}?sslmode=disable`;
  }

  /** A password file for the sensor role, readable by the test's processes. */
  sensorPasswordFile(password = SENSOR_PASSWORD): string {
    const f = path.join(this.dir, `sensor-${Math.random().toString(36).slice(2)}.pw`);
    writeFileSync(f, password + '\n', { mode: 0o600 });
    return f;
  }

  async admin<T>(db: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ host: '127.0.0.1', port: this.port, user: ADMIN, password: ADMIN_PASSWORD, database: db });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = [], db = 'fleet'): Promise<R[]> {
    return this.admin(db, async (c) => (await c.query(sql, params)).rows as R[]);
  }
}
