import { isIP } from 'node:net';
import { z } from 'zod';
import { bool, int, num, text } from '../config-fields';
import { LearningSchema } from '../learn/learning-schema';
import { MAX_SHARES, parseShare } from '../capture/link-share';

const SHARE_WHAT = `this sensor's share of the link as K/N, K of N sensors (1 <= K <= N, 2 <= N <= ${MAX_SHARES}), e.g. '1/2'`;

/**
 * The daemon's YAML config, validated with zod at start (as zigbee2mqtt validates its settings):
 * every object is strict, so a typo'd key is an error instead of a silently ignored setting.
 * Each leaf carries the words "what is allowed" that config-load.ts puts in its one-line error.
 */

export const InterfaceSchema = z.strictObject({
  name: text('an interface name (see: lln-detect interfaces)'),
  filter: z.string({ error: 'a BPF filter string (pcap-filter(7))' }).optional(),
  snaplen: int(64, 262144).optional(),
  promiscuous: bool().optional(),
  // libpcap's kernel ring (pcap_set_buffer_size). Up to 2 GiB - 1: cap passes it as a signed int.
  bufferSize: int(4096, 2 ** 31 - 1).optional(),
  // Several sensors splitting one link by host pair (src/capture/link-share.ts).
  share: z.string({ error: SHARE_WHAT }).refine((v) => parseShare(v) !== null, { error: SHARE_WHAT }).optional(),
}, { error: 'a mapping with name, filter?, snaplen?, promiscuous?, bufferSize?, share?' });

export const SpoolSchema = z.strictObject({
  dir: text('a directory path'),
  processedDir: text('a directory path').optional(),
  settleSeconds: num(0, 3600).default(10),
}, { error: 'a mapping with dir, processedDir?, settleSeconds?' });

export const ModelSchema = z.strictObject({
  dir: text('a model directory path').optional(),
  threshold: num(0, 1).optional(),
}, { error: 'a mapping with dir?, threshold?' });

export const WindowSchema = z.strictObject({
  size: int(2, 4096).optional(),
  stride: int(1, 4096).optional(),
}, { error: 'a mapping with size?, stride?' });

/** Overload: beyond its capacity the live daemon scores fewer windows before it loses packets (overload-shedder.ts). */
export const OverloadSchema = z.strictObject({
  shed: bool().default(true),
}, { error: 'a mapping with shed?' });

const CsvSchema = z.strictObject({
  path: text('a file path'),
  rotate: z
    .strictObject({
      maxBytes: int(4096, Number.MAX_SAFE_INTEGER).optional(),
      daily: bool().optional(),
    })
    .optional(),
});

/** Fleet mode: forward the local SQLite file's rows to a central PostgreSQL (src/fleet/). */
export const PostgresSchema = z.strictObject({
  url: text('a URL without a password: postgresql://ROLE@HOST:5432/DATABASE?sslmode=verify-full'),
  passwordFile: text('a file path (the password alone, mode 0600)').optional(),
  sensor: z.string({ error: 'a sensor id' }).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, { error: "1-63 letters, digits, '.', '_', ':' or '-'" }).optional(),
  batchRows: int(1, 20_000).default(2000),
  retryMaxSeconds: num(1, 3600).default(30),
  drainSeconds: num(0, 60).default(5),
}, { error: 'a mapping with url, passwordFile?, sensor?, batchRows?, retryMaxSeconds?, drainSeconds?' });

export const OutputsSchema = z.strictObject({
  sqlite: z.union([text('a file path'), z.literal(false)], { error: 'a file path, or false to disable' }).default('/var/lib/lln-detect/anomalies.db'),
  csv: CsvSchema.optional(),
  jsonl: z.strictObject({ path: text("a file path or 'stdout'") }).optional(),
  postgres: PostgresSchema.optional(),
}, { error: 'a mapping with sqlite?, csv?, jsonl?, postgres?' });

export const AlertsSchema = z.strictObject({
  maxRowsPerIncident: int(1, 1_000_000).default(1000),
  maxRowsPerSourcePerMinute: int(1, 1_000_000).default(600),
  incidentGapSeconds: num(0, 86400).default(5),
}, { error: 'a mapping with maxRowsPerIncident?, maxRowsPerSourcePerMinute?, incidentGapSeconds?' });

export const LoggingSchema = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug'], { error: 'one of error, warn, info, debug' }).default('info'),
  format: z.enum(['json', 'text'], { error: 'json or text' }).default('json'),
  file: text('a file path').optional(),
}, { error: 'a mapping with level?, format?, file?' });

/** host:port, IPv6 in brackets ([::1]:9910). Returns null when it does not parse. */
export function parseListen(listen: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port };
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export const MetricsSchema = z
  .strictObject({
    enabled: bool().default(true),
    listen: text("host:port, e.g. '127.0.0.1:9910'").default('127.0.0.1:9910'),
    allowNonLoopback: bool().default(false),
    excludeOwnTraffic: bool().default(true),
  }, { error: 'a mapping with enabled?, listen?, allowNonLoopback?, excludeOwnTraffic?' })
  .superRefine((m, ctx) => {
    const hp = parseListen(m.listen);
    if (!hp) {
      ctx.addIssue({ code: 'custom', path: ['listen'], input: m.listen, message: "host:port, e.g. '127.0.0.1:9910' or '[::1]:9910'" });
    } else if (!m.allowNonLoopback && !isLoopbackHost(hp.host)) {
      // Metrics name hosts and interfaces of the monitored network: never public by accident.
      ctx.addIssue({ code: 'custom', path: ['listen'], input: m.listen, message: 'a loopback address (127.x.x.x, ::1, localhost), or set metrics.allowNonLoopback: true' });
    }
  });

export const DaemonConfigSchema = z
  .strictObject({
    interfaces: z.array(InterfaceSchema, { error: 'a list of {name, filter?, snaplen?, promiscuous?, bufferSize?, share?}' }).default([]),
    spool: SpoolSchema.optional(),
    model: ModelSchema.default({}),
    window: WindowSchema.default({}),
    overload: OverloadSchema.default({ shed: true }),
    outputs: OutputsSchema.default({ sqlite: '/var/lib/lln-detect/anomalies.db' }),
    alerts: AlertsSchema.default({ maxRowsPerIncident: 1000, maxRowsPerSourcePerMinute: 600, incidentGapSeconds: 5 }),
    logging: LoggingSchema.default({ level: 'info', format: 'json' }),
    metrics: MetricsSchema.default({ enabled: true, listen: '127.0.0.1:9910', allowNonLoopback: false, excludeOwnTraffic: true }),
    stateDir: text('a directory path').default('/var/lib/lln-detect'),
    learning: LearningSchema.default(LearningSchema.parse({})),
    // Started as root, drop to this user once capture is open (privilege-drop.ts); unset: 'lln-detect'.
    user: z.string({ error: "a user name, or 'root' / '' to keep root" }).regex(/^(root|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)?$/, { error: "a user name, or 'root' / '' to keep root" }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.interfaces.length === 0 && !c.spool) {
      ctx.addIssue({ code: 'custom', path: ['interfaces'], input: c.interfaces, message: 'at least one interface, or a spool directory (nothing to watch)' });
    }
    const names = new Set<string>();
    c.interfaces.forEach((i, n) => {
      if (names.has(i.name)) ctx.addIssue({ code: 'custom', path: ['interfaces', n, 'name'], input: i.name, message: 'a name not already listed' });
      names.add(i.name);
    });
    if (c.outputs.postgres && c.outputs.sqlite === false) {
      // Store and forward: the SQLite file is where rows wait while PostgreSQL is away.
      ctx.addIssue({ code: 'custom', path: ['outputs', 'sqlite'], input: false, message: 'a file path: outputs.postgres forwards from the local SQLite file' });
    }
    if (c.window.size !== undefined && c.window.stride !== undefined && c.window.stride > c.window.size) {
      // A stride longer than the window would leave packets that no scored window covers.
      ctx.addIssue({ code: 'custom', path: ['window', 'stride'], input: c.window.stride, message: `a stride no larger than window.size (${c.window.size})` });
    }
  });

export type DaemonConfig = z.infer<typeof DaemonConfigSchema>;
export type { LearningConfig } from '../learn/learning-schema';
export type InterfaceConfig = z.infer<typeof InterfaceSchema>;
