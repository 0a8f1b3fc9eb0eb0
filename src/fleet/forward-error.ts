/** Why forwarding stopped, in words an operator can act on; the reason is a metrics label. */
export type ForwardReason = 'auth' | 'unreachable' | 'tls' | 'schema' | 'sensor' | 'permission' | 'disk_full' | 'timeout' | 'local' | 'other';

export class ForwardError extends Error {
  constructor(readonly reason: ForwardReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ForwardError';
  }
}

/** What the codes of an unreachable server mean, for the operator who reads the log line. */
const UNREACHABLE_WHY: Record<string, string> = {
  ECONNREFUSED: 'nothing listens on that port',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now (DNS)',
  EPIPE: 'the connection was closed while writing',
  '57P01': 'the server is shutting down (an administrator stopped it)',
  '57P02': 'the server crashed and is restarting',
  '57P03': 'the server is starting up or recovering and does not take connections yet',
};

/**
 * TLS failures by what the operator has to change: node's certificate-check codes (and pg's own
 * words for a server without TLS) → what is wrong, then what to do. The driver's text stays in
 * brackets.
 */
function tlsProblem(code: string, msg: string): string | null {
  const why = `(${code ? `${code}: ` : ''}${msg})`;
  if (code === 'CERT_HAS_EXPIRED') {
    return `TLS failed: the server's certificate has expired ${why}; renew the server's certificate (ssl_cert_file in postgresql.conf), or set this sensor's clock right if it is wrong`;
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return `TLS failed: the server's certificate is not valid yet ${why}; set this sensor's clock right (or the server's certificate was issued with a start date in the future)`;
  }
  if (['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED'].includes(code)) {
    return `TLS failed: the server's certificate is not signed by a CA this sensor trusts ${why}; set sslrootcert in the URL to the CA certificate that signed it (without sslrootcert only the system's CAs count)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS failed: the server's certificate is not made out to the host in the URL ${why}; use a host name or address the certificate names, or reissue it with this one in its subjectAltName`;
  }
  if (/does not support SSL/i.test(msg)) {
    return `TLS failed: the server does not take TLS connections ${why}; turn ssl on in its postgresql.conf, or (on a trusted network only) set sslmode=disable in the URL`;
  }
  if (code === 'CERT_REVOKED') return `TLS failed: the server's certificate has been revoked ${why}; the server needs a new certificate`;
  return null;
}

/** A pg / socket error → reason and a one-line message (never holds the password: pg's messages do not). */
export function classifyPgError(e: unknown, label: string): ForwardError {
  if (e instanceof ForwardError) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const msg = (err.message ?? String(e)).split('\n')[0];
  const at = `PostgreSQL ${label}`;
  const wait = 'alerts wait in the local SQLite file';
  if (code === '28000' && /pg_hba\.conf rejects connection .*no encryption/i.test(msg)) {
    return new ForwardError('tls', `${at} takes this role over TLS only (${msg}); set sslmode=verify-full and sslrootcert=the server's CA certificate in the URL (${wait})`, { cause: e });
  }
  if (code === '28000' && /no pg_hba\.conf entry/i.test(msg)) {
    return new ForwardError('auth', `${at} has no pg_hba.conf line that lets this sensor in (${msg}); add one for this host, role and database on the server (README: a fleet of sensors) (${wait})`, { cause: e });
  }
  if (code === '28P01' || code === '28000') {
    return new ForwardError('auth', `${at} refused the login (${msg}); check the role and its password file / PGPASSWORD (${wait})`, { cause: e });
  }
  if (code === '3D000') return new ForwardError('other', `${at}: ${msg}; create the database (README: fleet set-up) (${wait})`, { cause: e });
  if (code === '42501') {
    return new ForwardError('permission', `${at}: ${msg}; grant the sensor's role its rights (lln-detect fleet grants ROLE) (${wait})`, { cause: e });
  }
  if (code === '53100' || code === '53200' || code === '53300') {
    const what = code === '53100' ? 'its disk is full' : code === '53300' ? 'it has too many connections' : 'it is out of memory';
    const todo = code === '53100' ? 'free space on its disk (lln-detect fleet retention drops old rows) or give it a larger one'
      : code === '53300' ? 'raise max_connections on the server or give the sensors fewer connections' : 'give the server more memory or lower its work_mem';
    return new ForwardError(code === '53100' ? 'disk_full' : 'other', `${at} cannot take rows: ${what} (${msg}); ${todo} (${wait})`, { cause: e });
  }
  if (code === '57014' || /timeout|timed out/i.test(msg)) {
    return new ForwardError('timeout', `${at} did not answer in time (${msg}); the server is slow or overloaded (${wait})`, { cause: e });
  }
  if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) ||
      /Connection terminated|connection is closed|Client has encountered a connection error/i.test(msg)) {
    return new ForwardError('unreachable', `${at} is unreachable (${code && UNREACHABLE_WHY[code] ? `${code}: ${UNREACHABLE_WHY[code]}` : code || msg}); check that the server runs and the host and port are right (${wait})`, { cause: e });
  }
  const tls = tlsProblem(code, msg);
  if (tls) return new ForwardError('tls', `${at}: ${tls} (${wait})`, { cause: e });
  if (/SSL|TLS|certificate|self.signed/i.test(msg) || code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return new ForwardError('tls', `${at}: TLS failed (${msg}); check sslmode and sslrootcert in the URL (${wait})`, { cause: e });
  }
  return new ForwardError('other', `${at}: ${code ? code + ': ' : ''}${msg} (${wait})`, { cause: e });
}
