import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir } from './helpers/cli';
import { mountTmpfs, type Mount } from './helpers/mounts';
import { PgServer, pgSkipReason, SENSOR_ROLE } from './helpers/pg-server';
import { committedSample } from './helpers/samples';

/**
 * Issue 31 §4, the forwarder's messages on a real PostgreSQL (TLS only for the sensor role, a CA
 * made here): each failure is one line that says what is wrong and what to do. Before, an expired
 * server certificate, one made out to another host and one signed by another CA all said "TLS
 * failed (…); check sslmode and sslrootcert in the URL", a plaintext login to a TLS-only server
 * said to check the password, a full disk said nothing to do, and sslmode=require printed
 * node-postgres's nine-line security warning on stderr before the one line.
 */
const skip = pgSkipReason() ?? (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0 ? false : 'openssl missing: skipping');

describe('fleet: what the forwarder says when TLS or the server disk fails', { skip, timeout: 300_000 }, () => {
  let pg: PgServer;
  const dir = tempDir('fleet-faults');
  let n = 0;
  const mounts: Mount[] = [];
  before(async () => {
    pg = await PgServer.create({ tls: true });
  });
  after(() => {
    pg?.destroy();
    for (const m of mounts) m.release();
  });

  const base = () => `postgresql://${SENSOR_ROLE}@127.0.0.1:${pg.port}/fleet`;
  const replay = (query: string) =>
    runCli(['replay', committedSample('lan-portscan.pcap'), '--db', path.join(dir, `r${n++}.db`), '--no-csv', '--quiet', '--pg', `${base()}?${query}`, '--pg-password-file', pg.sensorPasswordFile(), '--sensor', `s${n}`], { cwd: dir });
  /** One stderr line, exit 5, rows kept. */
  const oneLine = (r: ReturnType<typeof replay>, re: RegExp) => {
    assert.equal(r.code, 5, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
    assert.match(lines[0]!, /; \d+ rows wait in .* and are sent by the next replay --pg or the daemon$/);
  };
  const ssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: pg.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  /** A new server certificate signed by the test CA, the server restarted on it. */
  const reissue = (days: number, san: string) => {
    pg.stop();
    writeFileSync(path.join(pg.dir, 'san-test.ext'), `subjectAltName=${san}\n`);
    ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-out', 'server.crt', '-extfile', 'san-test.ext']);
    if (pg.user) spawnSync('chown', [pg.user, path.join(pg.dir, 'server.crt')]);
    pg.start();
  };
  const good = () => `sslmode=verify-full&sslrootcert=${pg.caFile}`;

  test('sslmode=require forwards as verify-full does, without node-postgres\'s warning on stderr', () => {
    const r = replay(`sslmode=require&sslrootcert=${pg.caFile}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  test('a CA that did not sign the server certificate, plaintext to a TLS-only server', () => {
    const other = path.join(dir, 'other');
    mkdirSync(other);
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=another-ca', '-keyout', path.join(other, 'ca.key'), '-out', path.join(other, 'ca.pem')]);
    oneLine(replay(`sslmode=verify-full&sslrootcert=${path.join(other, 'ca.pem')}`),
      /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet: TLS failed: the server's certificate is not signed by a CA this sensor trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\); set sslrootcert in the URL to the CA certificate that signed it/);
    oneLine(replay('sslmode=disable'),
      /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet takes this role over TLS only \(pg_hba\.conf rejects connection .*no encryption\); set sslmode=verify-full and sslrootcert=the server's CA certificate in the URL/);
  });

  test('a server certificate made out to another host, then an expired one', () => {
    try {
      reissue(2, 'DNS:db.elsewhere.example');
      oneLine(replay(good()),
        /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet: TLS failed: the server's certificate is not made out to the host in the URL \(ERR_TLS_CERT_ALTNAME_INVALID: .*127\.0\.0\.1.*\); use a host name or address the certificate names, or reissue it/);
      reissue(-1, 'IP:127.0.0.1,DNS:localhost');
      oneLine(replay(good()),
        /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet: TLS failed: the server's certificate has expired \(CERT_HAS_EXPIRED: certificate has expired\); renew the server's certificate \(ssl_cert_file in postgresql\.conf\), or set this sensor's clock right if it is wrong/);
    } finally {
      reissue(2, 'IP:127.0.0.1,DNS:localhost');
    }
    const ok = replay(good());
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('the server\'s disk is full (its anomalies table on a full tmpfs tablespace): one line that says to free space', { skip: process.getuid?.() === 0 ? false : 'needs root (tmpfs)' }, async () => {
    const m = mountTmpfs(4096);
    if (typeof m === 'string') return;
    mounts.push(m);
    if (pg.user) spawnSync('chown', [pg.user, m.dir]);
    await pg.admin('fleet', async (c) => {
      await c.query(`CREATE TABLESPACE lln_small LOCATION '${m.dir}'`);
      await c.query('ALTER TABLE anomalies SET TABLESPACE lln_small');
    });
    // Then another writer takes the disk, down to 8 KiB.
    const filler = path.join(m.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(0));
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
    truncateSync(filler, Math.max(0, statSync(filler).size - 8 * 1024));
    try {
      oneLine(replay(good()),
        /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet cannot take rows: its disk is full \(could not extend file .*No space left on device\); free space on its disk \(lln-detect fleet retention drops old rows\) or give it a larger one; \d+ rows wait/);
    } finally {
      rmSync(filler);
      await pg.admin('fleet', async (c) => {
        await c.query('ALTER TABLE anomalies SET TABLESPACE pg_default');
        await c.query('DROP TABLESPACE lln_small');
      });
    }
  });
});
