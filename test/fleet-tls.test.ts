import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir } from './helpers/cli';
import { assertForwardedExactlyOnce } from './helpers/fleet-compare';
import { PgServer, pgSkipReason, SENSOR_ROLE } from './helpers/pg-server';
import { committedSample } from './helpers/samples';

/** TLS from the URL's sslmode: a server that takes the sensor role over TLS only, with a CA made here. */
const skip = pgSkipReason() ?? (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0 ? false : 'openssl missing: skipping');

describe('fleet: TLS', { skip }, () => {
  let pg: PgServer;
  const dir = tempDir('fleet-tls');
  before(async () => {
    pg = await PgServer.create({ tls: true });
  });
  after(() => pg?.destroy());

  const replay = (url: string, db: string) =>
    runCli(['replay', committedSample('lan-portscan.pcap'), '--db', path.join(dir, db), '--no-csv', '--quiet', '--pg', url, '--pg-password-file', pg.sensorPasswordFile(), '--sensor', 'tls-a'], { cwd: dir });

  test('sslmode=verify-full with the CA forwards; without TLS, or with another CA, one clear line and the rows wait', async () => {
    const base = `postgresql://${SENSOR_ROLE}@127.0.0.1:${pg.port}/fleet`;
    const plain = replay(`${base}?sslmode=disable`, 'a.db');
    assert.equal(plain.code, 5, plain.stderr);
    assert.match(plain.stderr, /LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet takes this role over TLS only \(pg_hba\.conf rejects connection .* no encryption\); set sslmode=verify-full and sslrootcert/);

    const otherCa = path.join(dir, 'other-ca.pem');
    // A CA that did not sign the server's certificate (the server's own certificate, as a CA, signs nothing else).
    writeFileSync(otherCa, readFileSync(path.join(pg.dir, 'server.crt')));
    const wrong = replay(`${base}?sslmode=verify-full&sslrootcert=${otherCa}`, 'a.db');
    assert.equal(wrong.code, 5, wrong.stderr);
    assert.match(wrong.stderr, /LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/fleet: TLS failed: the server's certificate is not signed by a CA this sensor trusts \(.*certificate.*\); set sslrootcert in the URL to the CA certificate that signed it/);

    const ok = replay(`${base}?sslmode=verify-full&sslrootcert=${pg.caFile}`, 'a.db');
    assert.equal(ok.code, 0, ok.stderr);
    const c = await assertForwardedExactlyOnce(path.join(dir, 'a.db'), pg, 'tls-a');
    assert.equal(c.runs, 3, 'the two refused runs waited and went out with the third');
  });
});
