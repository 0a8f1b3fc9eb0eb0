import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyPgError } from '../src/fleet/forward-error';

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
