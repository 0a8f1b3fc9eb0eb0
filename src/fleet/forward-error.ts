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

/** A pg / socket error → reason and a one-line message (never holds the password: pg's messages do not). */
export function classifyPgError(e: unknown, label: string): ForwardError {
  if (e instanceof ForwardError) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const msg = (err.message ?? String(e)).split('\n')[0];
  const at = `PostgreSQL ${label}`;
  const wait = 'alerts wait in the local SQLite file';
  if (code === '28P01' || code === '28000') {
    return new ForwardError('auth', `${at} refused the login (${msg}); check the role and its password file / PGPASSWORD (${wait})`, { cause: e });
  }
  if (code === '3D000') return new ForwardError('other', `${at}: ${msg}; create the database (README: fleet set-up) (${wait})`, { cause: e });
  if (code === '42501') {
    return new ForwardError('permission', `${at}: ${msg}; grant the sensor's role its rights (lln-detect fleet grants ROLE) (${wait})`, { cause: e });
  }
  if (code === '53100' || code === '53200' || code === '53300') {
    const what = code === '53100' ? 'its disk is full' : code === '53300' ? 'it has too many connections' : 'it is out of memory';
    return new ForwardError(code === '53100' ? 'disk_full' : 'other', `${at} cannot take rows: ${what} (${msg}) (${wait})`, { cause: e });
  }
  if (code === '57014' || /timeout|timed out/i.test(msg)) {
    return new ForwardError('timeout', `${at} did not answer in time (${msg}); the server is slow or overloaded (${wait})`, { cause: e });
  }
  if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) ||
      /Connection terminated|connection is closed|Client has encountered a connection error/i.test(msg)) {
    return new ForwardError('unreachable', `${at} is unreachable (${code && UNREACHABLE_WHY[code] ? `${code}: ${UNREACHABLE_WHY[code]}` : code || msg}); check that the server runs and the host and port are right (${wait})`, { cause: e });
  }
  if (/SSL|TLS|certificate|self.signed/i.test(msg) || code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return new ForwardError('tls', `${at}: TLS failed (${msg}); check sslmode and sslrootcert in the URL (${wait})`, { cause: e });
  }
  return new ForwardError('other', `${at}: ${code ? code + ': ' : ''}${msg} (${wait})`, { cause: e });
}
