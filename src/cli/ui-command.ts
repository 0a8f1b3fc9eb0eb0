import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { LlnError } from '../errors';
import { logger } from '../logger';
import { writeStdout } from '../outputs/sync-output';
import type { AlertSource } from '../ui/alert-source';
import { checkToken, DEFAULT_PORT, parseListen } from '../ui/listen-address';
import type { StatusContext } from '../ui/sensor-status';

export interface UiOptions {
  db?: string;
  pg?: string;
  pgPasswordFile?: string;
  listen: string;
  token?: string;
  config: string;
  stateDir?: string;
  model?: string;
}

/**
 * `lln-detect ui`: the read-only web view (docs/ui.md). Everything that can be wrong — the
 * address, the token, the database — is checked before the port opens, each as one line.
 */
export async function runUi(o: UiOptions): Promise<void> {
  if (o.db && o.pg) throw new LlnError('LLN_E_USAGE', 'give one of --db FILE (a sensor\'s SQLite file) or --pg URL (the fleet\'s PostgreSQL), not both');
  const listen = parseListen(o.listen);
  const token = checkToken(listen, o.token ?? (process.env.LLN_UI_TOKEN || undefined), o.listen);
  const cfg = await daemonConfig(o.config);
  // Loaded only now: a wrong address or token is reported before the slower modules load.
  const { candidateModelDirs } = await import('../ui/sensor-status');

  let source: AlertSource;
  const status: StatusContext = { modelDirs: [] };
  if (o.pg) {
    const { PgAlertSource } = await import('../ui/pg-alert-source');
    source = await PgAlertSource.open(o.pg, o.pgPasswordFile);
    status.modelDirs = candidateModelDirs({}, o.model ? [o.model] : []);
  } else {
    // No --db: the daemon's database when this machine has a daemon config, else what replay writes here.
    const db = path.resolve(o.db ?? (cfg && cfg.sqlite ? cfg.sqlite : 'anomalies.db'));
    dropRootToOwner(db);
    const { SqliteAlertSource } = await import('../ui/sqlite-alert-source');
    source = new SqliteAlertSource(db);
    status.dbPath = db;
    // The lifecycle belongs to this database only when it is the daemon's (or --state-dir says so).
    status.stateDir = o.stateDir ? path.resolve(o.stateDir) : cfg && cfg.sqlite && path.resolve(cfg.sqlite) === db ? cfg.stateDir : undefined;
    status.config = o.config;
    status.modelDirs = candidateModelDirs(status, o.model ? [path.resolve(o.model)] : []);
  }

  const { buildUiServer } = await import('../ui/ui-server');
  const server = buildUiServer({ source, status, token, listenHost: listen.host });
  let bound;
  try {
    bound = await server.listen(listen.port);
  } catch (e) {
    await source.close();
    throw listenError(e, o.listen);
  }
  writeStdout(`lln-detect ui: ${bound.url} (read-only: ${source.label})${token ? `; open ${bound.url}?token=TOKEN once, it is kept in a cookie` : ''}\n`);
  logger.info(`ui: listening on ${bound.url}${token ? ' (token required)' : ''}; Ctrl-C stops it`);
  // Runs until SIGINT/SIGTERM: nothing to commit (read-only), so early-interrupt's exit is the clean end.
  await new Promise<never>(() => {});
}

/** The config's database and state dir, when this machine has a daemon config (quietly none otherwise). */
async function daemonConfig(file: string): Promise<{ sqlite: string | false; stateDir: string } | null> {
  if (!existsSync(file)) return null;
  try {
    const { loadConfig } = await import('../daemon/config-load');
    const c = loadConfig(file);
    return { sqlite: c.outputs.sqlite, stateDir: c.stateDir };
  } catch {
    return null;
  }
}

/**
 * A web server has no business running as root. Started as root on the daemon's database (owned
 * by lln-detect, mode 0600), it becomes the file's owner before opening it: it can read
 * everything the daemon wrote, and any file SQLite creates beside it (the -shm and -wal of a
 * reader) belongs to the daemon's user, not to root, so the daemon can still open them.
 */
function dropRootToOwner(db: string): void {
  if (process.geteuid?.() !== 0) return;
  let st;
  try {
    st = statSync(db);
  } catch {
    return; // the source reports a missing file in its own words
  }
  if (st.uid === 0) return;
  process.setgroups?.([st.gid]);
  process.setgid?.(st.gid);
  process.setuid?.(st.uid);
  logger.info(`ui: running as uid ${st.uid} (the owner of ${db}), not root`);
}

function listenError(e: unknown, where: string): LlnError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (code === 'EADDRINUSE') return new LlnError('LLN_E_USAGE', `--listen ${where}: the port is in use (another lln-detect ui?); choose another with --listen 127.0.0.1:PORT (default ${DEFAULT_PORT})`);
  if (code === 'EACCES') return new LlnError('LLN_E_USAGE', `--listen ${where}: not allowed to listen there (ports below 1024 need root, which the view drops); choose a port from 1024 up`);
  if (code === 'EADDRNOTAVAIL') return new LlnError('LLN_E_USAGE', `--listen ${where}: no interface of this machine has that address; give one of its addresses, or 127.0.0.1`);
  return new LlnError('LLN_E_USAGE', `--listen ${where}: cannot listen (${code || (e as Error).message})`);
}
