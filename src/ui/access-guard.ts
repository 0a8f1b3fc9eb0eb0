import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Who may read a page.
 * - With a token (required off loopback): `Authorization: Bearer T`, or the cookie a first
 *   visit to `/?token=T` sets (HttpOnly, SameSite=Strict) before redirecting to a URL without it,
 *   so the token does not stay in the address bar, the history or a Referer.
 * - Without one (loopback only): the Host header must name this machine. Otherwise any web page
 *   the operator visits could point a name of its own at 127.0.0.1 (DNS rebinding) and read
 *   the alerts from its own origin.
 */
export const TOKEN_COOKIE = 'lln_ui_token';

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface GuardOptions {
  token?: string;
  /** Host header values allowed without a token: loopback names with the port. */
  allowedHosts: Set<string>;
}

export function loopbackHosts(port: number, listenHost: string): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', listenHost.includes(':') ? `[${listenHost}]` : listenHost];
  return new Set(names.map((n) => `${n}:${port}`.toLowerCase()));
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/** A fastify onRequest hook; replies and stops the request when it may not go on. */
export function accessGuard(o: GuardOptions) {
  const want = o.token === undefined ? null : digest(o.token);
  const matches = (given: string | undefined) => given !== undefined && want !== null && timingSafeEqual(digest(given), want);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (want === null) {
      if (!o.allowedHosts.has(String(req.headers.host ?? '').toLowerCase())) {
        await reply.code(403).type('text/plain; charset=utf-8').send('lln-detect ui: this Host is not this machine; open the view as http://127.0.0.1:PORT/\n');
      }
      return;
    }
    const url = new URL(req.url, 'http://x');
    const given = url.searchParams.get('token') ?? undefined;
    if (given !== undefined) {
      if (!matches(given)) {
        await reply.code(401).type('text/plain; charset=utf-8').send('lln-detect ui: wrong token\n');
        return;
      }
      url.searchParams.delete('token');
      await reply
        .header('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect(url.pathname + url.search, 303);
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (matches(bearer) || matches(cookie(req, TOKEN_COOKIE))) return;
    await reply.code(401).type('text/plain; charset=utf-8').send('lln-detect ui: a token is needed; open /?token=TOKEN once (it is kept in a cookie), or send Authorization: Bearer TOKEN\n');
  };
}
