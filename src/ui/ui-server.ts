import Fastify, { type FastifyInstance } from 'fastify';
import { isLlnError } from '../errors';
import { logger } from '../logger';
import type { AlertSource } from './alert-source';
import { accessGuard, loopbackHosts } from './access-guard';
import { incidentPage, notFoundPage } from './incident-page';
import { parseIncidentQuery } from './incident-query';
import { incidentsPage } from './incidents-page';
import { layout } from './page-layout';
import { html } from './html';
import { lifecycle, forwardSection, ModelPromises, type StatusContext } from './sensor-status';
import { loadAssets } from './static-assets';
import { statusPage } from './status-page';

/**
 * The read-only web view: GET (and HEAD) routes only, every page rendered on the server from
 * the source's rows, so a page works without its script (the script only draws the timeline).
 */
export const CSP = [
  // Nothing is fetched by script and no image is inline: default-src 'none' covers connect, font, media, frames.
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/** Sent with every response, pages, files and errors alike. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Alerts change while a daemon writes, and a shared machine's cache should not keep them.
  'cache-control': 'no-store',
};

/** An incident shows at most this many packet rows: the sensor writes at most 1,000 per incident. */
const PACKET_LIMIT = 5000;

export interface UiServerOptions {
  source: AlertSource;
  status: StatusContext;
  token?: string;
  listenHost: string;
}

export interface UiServer {
  app: FastifyInstance;
  /** Listen, then allow the Host names of the port actually bound (port 0 picks one). */
  listen(port: number): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

export function buildUiServer(o: UiServerOptions): UiServer {
  const assets = loadAssets();
  const allowedHosts = new Set<string>();
  const promises = new ModelPromises(o.status.modelDirs);
  const app = Fastify({ logger: false, return503OnClosing: true, routerOptions: { maxParamLength: 200 } });

  app.addHook('onRequest', accessGuard({ token: o.token, allowedHosts }));
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.get('/', async (_req, reply) => reply.redirect('/incidents', 302));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

  app.get('/incidents', async (req, reply) => {
    const { query, notes } = parseIncidentQuery(req.query as Record<string, string>);
    const [result, runs, sensors] = await Promise.all([
      o.source.incidents(query),
      o.source.runs(100),
      o.source.hasSensors ? o.source.sensors() : Promise.resolve([]),
    ]);
    return reply.type('text/html; charset=utf-8').send(incidentsPage({ source: o.source.label, hasSensors: o.source.hasSensors, query, notes, page: result, runs, sensors }));
  });

  app.get('/runs/:run/incidents/:id', async (req, reply) => {
    const p = req.params as { run: string; id: string };
    const sensor = String((req.query as { sensor?: string }).sensor ?? '');
    const runId = Number(p.run), id = Number(p.id);
    const key = { sensor, runId, id };
    const incident = /^\d+$/.test(p.run) && /^\d+$/.test(p.id) ? await o.source.incident(key) : null;
    if (!incident) {
      return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage(o.source.label, `no incident ${p.run}/${p.id}${sensor ? ` on sensor ${sensor}` : ''} in this database`));
    }
    const packets = await o.source.anomalies(key, PACKET_LIMIT);
    return reply.type('text/html; charset=utf-8').send(incidentPage({ source: o.source.label, incident, packets, limit: PACKET_LIMIT }));
  });

  app.get('/status', async (_req, reply) => {
    const runs = await o.source.runs(30);
    return reply.type('text/html; charset=utf-8').send(statusPage({
      source: o.source.label, hasSensors: o.source.hasSensors, lifecycle: lifecycle(o.status), forward: forwardSection(o.status), runs, promises,
    }));
  });

  app.get('/static/:file', async (req, reply) => {
    const a = assets.get((req.params as { file: string }).file);
    if (!a) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    return reply.type(a.type).send(a.body);
  });

  app.setNotFoundHandler(async (_req, reply) => reply.code(404).type('text/html; charset=utf-8').send(notFoundPage(o.source.label, 'no such page')));
  // A source failing mid-session (PostgreSQL restarting, the file's permissions changed): one line on the page and in the log.
  app.setErrorHandler(async (err, _req, reply) => {
    const msg = isLlnError(err) ? err.message : `internal error: ${(err as Error).message}`;
    logger.warn(`ui: ${msg}`);
    const code = isLlnError(err) ? 503 : ((err as { statusCode?: number }).statusCode ?? 500);
    return reply.code(code).type('text/html; charset=utf-8').send(layout({ title: 'Error', here: 'status', source: o.source.label, body: html`<h1>Cannot show this page</h1><p class="error">${msg}</p>` }));
  });

  return {
    app,
    async listen(port: number) {
      await app.listen({ host: o.listenHost, port });
      const addr = app.server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      for (const h of loopbackHosts(bound, o.listenHost)) allowedHosts.add(h);
      const shown = o.listenHost.includes(':') ? `[${o.listenHost}]` : o.listenHost;
      return { url: `http://${shown}:${bound}/`, port: bound };
    },
    async close() {
      await app.close();
    },
  };
}
