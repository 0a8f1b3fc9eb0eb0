import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyPgError, type ForwardError } from '../src/fleet/forward-error';

test('forwarding errors say what a PostgreSQL or socket code means, not only the code', () => {
  const cases: Array<[string, RegExp]> = [
    ['57P03', /is unreachable \(57P03: the server is starting up or recovering and does not take connections yet\)/],
    ['57P01', /is unreachable \(57P01: the server is shutting down \(an administrator stopped it\)\)/],
    ['ECONNREFUSED', /is unreachable \(ECONNREFUSED: nothing listens on that port\)/],
    ['ENOTFOUND', /is unreachable \(ENOTFOUND: the host name does not resolve\)/],
  ];
  for (const [code, re] of cases) {
    const e = classifyPgError(Object.assign(new Error('raw driver text'), { code }), 'db.example.org:5432/lln_fleet');
    assert.equal(e.reason, 'unreachable', code);
    assert.match(e.message, re);
    assert.match(e.message, /alerts wait in the local SQLite file\)$/);
  }
  // Without a code the driver's own words stay.
  assert.match(classifyPgError(new Error('Connection terminated unexpectedly'), 'h:5432/d').message, /unreachable \(Connection terminated unexpectedly\)/);
});

test('TLS failures and a full disk say what is wrong and what to do (issue 31 §4)', () => {
  const label = 'db.example.org:5432/lln_fleet';
  const tls = (code: string, message: string) => classifyPgError(Object.assign(new Error(message), { code }), label);
  const cases: Array<[ForwardError, string, RegExp]> = [
    [tls('CERT_HAS_EXPIRED', 'certificate has expired'), 'tls', /TLS failed: the server's certificate has expired \(CERT_HAS_EXPIRED: certificate has expired\); renew the server's certificate \(ssl_cert_file in postgresql\.conf\), or set this sensor's clock right/],
    [tls('CERT_NOT_YET_VALID', 'certificate is not yet valid'), 'tls', /the server's certificate is not valid yet .*; set this sensor's clock right/],
    [tls('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'tls', /the server's certificate is not signed by a CA this sensor trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\); set sslrootcert in the URL to the CA certificate that signed it/],
    [tls('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'tls', /not signed by a CA this sensor trusts/],
    [tls('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: "), 'tls', /the server's certificate is not made out to the host in the URL .*; use a host name or address the certificate names, or reissue it/],
    [tls('', 'The server does not support SSL connections'), 'tls', /the server does not take TLS connections .*; turn ssl on in its postgresql\.conf, or \(on a trusted network only\) set sslmode=disable/],
    [tls('28000', 'pg_hba.conf rejects connection for host "10.0.0.5", user "lln_sensor", database "lln_fleet", no encryption'), 'tls', /takes this role over TLS only \(.*\); set sslmode=verify-full and sslrootcert=/],
    [tls('28000', 'no pg_hba.conf entry for host "10.0.0.5", user "lln_sensor", database "lln_fleet", SSL encryption'), 'auth', /has no pg_hba\.conf line that lets this sensor in .*; add one for this host, role and database on the server/],
    [tls('28P01', 'password authentication failed for user "lln_sensor"'), 'auth', /refused the login .*; check the role and its password file/],
    [tls('53100', 'could not extend file "base/16384/16482": No space left on device'), 'disk_full', /cannot take rows: its disk is full \(could not extend file .*\); free space on its disk \(lln-detect fleet retention drops old rows\) or give it a larger one/],
  ];
  for (const [e, reason, re] of cases) {
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, re);
    assert.match(e.message, /^PostgreSQL db\.example\.org:5432\/lln_fleet/);
    assert.match(e.message, /alerts wait in the local SQLite file\)$/);
    assert.doesNotMatch(e.message, /check sslmode and sslrootcert/, 'the generic advice only where nothing more precise is known');
    assert.doesNotMatch(e.message, /\n/);
  }
});
