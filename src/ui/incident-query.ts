import { SORT_KEYS, type IncidentQuery, type SortKey } from './alert-source';

/**
 * The incident list's query string → a checked IncidentQuery, and that query → SQL for either
 * database. Values reach SQL only as bound parameters; column names only from the fixed map
 * below. A value that does not parse is dropped with a note the page shows, so a mistyped port
 * narrows nothing instead of failing the whole page.
 */
export const DEFAULT_PER_PAGE = 100;
/**
 * Paging is the server's: a database of 10,000 incidents (or a million) shows a page of them.
 * A page holds at most 1,000 rows (chromium: 1.4 s for 1,000, 0.55 s for 100, on 2 cores busy
 * with a training, `npm run bench -- ui`); all 10,000 on one page took it 9-13 s there (5.6 MB
 * of table, most of it layout and style), so that is not offered.
 */
export const MAX_PER_PAGE = 1000;

export interface ParsedIncidentQuery {
  query: IncidentQuery;
  /** One line per ignored parameter, e.g. "port 'x' is not a port number (0-65535): ignored". */
  notes: string[];
}

type Params = Record<string, string | string[] | undefined>;

function one(p: Params, k: string): string | undefined {
  const v = p[k];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/** An HTML datetime-local value or ISO time (taken as UTC when it has no zone), or epoch seconds. */
export function parseTime(s: string): number | null {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/.test(s)) return null;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(s) ? s : `${s.length === 10 ? `${s}T00:00` : s}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms / 1000 : null;
}

export function parseIncidentQuery(p: Params): ParsedIncidentQuery {
  const notes: string[] = [];
  const q: IncidentQuery = { sort: 'start', desc: true, page: 1, perPage: DEFAULT_PER_PAGE };
  const int = (k: string, min: number, max: number, what: string): number | undefined => {
    const s = one(p, k);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (/^\d+$/.test(s) && n >= min && n <= max) return n;
    notes.push(`${k} '${s}' is not ${what}: ignored`);
    return undefined;
  };
  const sensor = one(p, 'sensor');
  if (sensor !== undefined) q.sensor = sensor.slice(0, 200);
  const run = one(p, 'run');
  // The fleet's run ids are per sensor: its run menu sends "sensor/id".
  const sensorRun = run === undefined ? null : /^(.+)\/(\d+)$/.exec(run);
  if (sensorRun) {
    q.sensor = sensorRun[1].slice(0, 200);
    q.runId = Number(sensorRun[2]);
  } else if (run !== undefined && run !== 'all') q.runId = int('run', 1, Number.MAX_SAFE_INTEGER, 'a run id');
  for (const k of ['from', 'to'] as const) {
    const s = one(p, k);
    if (s === undefined) continue;
    const t = parseTime(s);
    if (t === null) notes.push(`${k} '${s}' is not a time (2024-03-04T09:00, UTC, or epoch seconds): ignored`);
    else q[k] = t;
  }
  const host = one(p, 'host');
  if (host !== undefined) q.host = host.slice(0, 200);
  q.port = int('port', 0, 65535, 'a port number (0-65535)');
  const score = one(p, 'min_score');
  if (score !== undefined) {
    const n = Number(score);
    if (Number.isFinite(n) && n >= 0 && n <= 1) q.minScore = n;
    else notes.push(`min_score '${score}' is not a score in [0, 1]: ignored`);
  }
  const sort = one(p, 'sort');
  if (sort !== undefined) {
    if ((SORT_KEYS as readonly string[]).includes(sort)) q.sort = sort as SortKey;
    else notes.push(`sort '${sort}' is not one of ${SORT_KEYS.join(', ')}: ignored`);
  }
  const dir = one(p, 'dir');
  if (dir === 'asc' || dir === 'desc') q.desc = dir === 'desc';
  else if (dir !== undefined) notes.push(`dir '${dir}' is not asc or desc: ignored`);
  q.page = int('page', 1, 1_000_000, 'a page number') ?? 1;
  q.perPage = int('per_page', 1, MAX_PER_PAGE, `a page size (1-${MAX_PER_PAGE})`) ?? DEFAULT_PER_PAGE;
  return { query: q, notes };
}

/** The query string of a query (for links: sorting, paging), without the defaults. */
export function queryParams(q: IncidentQuery): Record<string, string | number | undefined> {
  return {
    sensor: q.sensor, run: q.runId, from: q.from, to: q.to, host: q.host, port: q.port, min_score: q.minScore,
    sort: q.sort === 'start' && q.desc ? undefined : q.sort, dir: q.sort === 'start' && q.desc ? undefined : q.desc ? 'desc' : 'asc',
    page: q.page === 1 ? undefined : q.page, per_page: q.perPage === DEFAULT_PER_PAGE ? undefined : q.perPage,
  };
}

export type Dialect = 'sqlite' | 'pg';

const ORDER: Record<SortKey, string> = {
  start: 'start_ts', packets: 'packets', score: 'max_score', source: 'main_source', target: 'main_target', id: 'run_id',
};

/** `host*` matches by prefix (a subnet written as 10.1.2.*); LIKE's own wildcards in it are taken literally. */
function likePrefix(host: string): string {
  return host.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

/** WHERE (with its parameters) and ORDER BY of an incident query, in the dialect's placeholders. */
export function incidentSql(q: IncidentQuery, dialect: Dialect): { where: string; orderBy: string; params: unknown[] } {
  const params: unknown[] = [];
  const ph = (v: unknown): string => {
    params.push(v);
    return dialect === 'pg' ? `$${params.length}` : '?';
  };
  const and: string[] = [];
  if (q.sensor !== undefined && dialect === 'pg') and.push(`sensor = ${ph(q.sensor)}`);
  if (q.runId !== undefined) and.push(`run_id = ${ph(q.runId)}`);
  if (q.from !== undefined) and.push(`end_ts >= ${ph(q.from)}`);
  if (q.to !== undefined) and.push(`start_ts <= ${ph(q.to)}`);
  if (q.minScore !== undefined) and.push(`max_score >= ${ph(q.minScore)}`);
  if (q.host !== undefined) {
    const prefix = q.host.length > 1 && q.host.endsWith('*');
    const match = (col: string) => (prefix ? `${col} LIKE ${ph(likePrefix(q.host!))} ESCAPE '\\'` : `${col} = ${ph(q.host)}`);
    const inHosts = dialect === 'pg'
      ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text(hosts::jsonb) AS h(v) WHERE ${match('h.v')})`
      : `EXISTS (SELECT 1 FROM json_each(incidents.hosts) WHERE ${match('json_each.value')})`;
    and.push(`(${match('main_source')} OR ${match('main_target')} OR ${inHosts})`);
  }
  if (q.port !== undefined) {
    and.push(dialect === 'pg'
      ? `ports::jsonb @> jsonb_build_array(${ph(q.port)}::int)`
      : `EXISTS (SELECT 1 FROM json_each(incidents.ports) WHERE json_each.value = ${ph(q.port)})`);
  }
  const dir = q.desc ? 'DESC' : 'ASC';
  // Hosts are NULL in incidents older than SQLite schema v3: last in either direction. Ties by the stable key.
  const first = q.sort === 'id' ? [] : [`${ORDER[q.sort]} ${dir}${q.sort === 'source' || q.sort === 'target' ? ' NULLS LAST' : ''}`];
  const orderBy = [...first, ...(dialect === 'pg' ? [`sensor ${dir}`] : []), `run_id ${dir}`, `id ${dir}`].join(', ');
  return { where: and.length ? `WHERE ${and.join(' AND ')}` : '', orderBy, params };
}
