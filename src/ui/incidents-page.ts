import type { IncidentPage, IncidentQuery, IncidentRow, RunRow, SortKey } from './alert-source';
import { html, queryString, type Html } from './html';
import { queryParams } from './incident-query';
import { count, duration, hostLink, jsonList, layout, scoreCell, shortTime } from './page-layout';

export interface IncidentsView {
  source: string;
  hasSensors: boolean;
  query: IncidentQuery;
  notes: string[];
  page: IncidentPage;
  runs: RunRow[];
  sensors: string[];
}

const isoInput = (t: number | undefined): string => (t === undefined ? '' : new Date(t * 1000).toISOString().slice(0, 19));

/** The incident list: a GET form (works without script), sortable headers, pages counted on the server. */
export function incidentsPage(v: IncidentsView): string {
  const q = v.query;
  const pages = Math.max(1, Math.ceil(v.page.total / q.perPage));
  const link = (over: Partial<IncidentQuery>) => `/incidents${queryString(queryParams({ ...q, ...over }))}`;
  const sortHead = (key: SortKey, label: string, num = false): Html => {
    const on = q.sort === key;
    // The first click sorts the way a triager wants first: biggest, highest, newest on top.
    const desc = on ? !q.desc : key !== 'source' && key !== 'target';
    return html`<th class="${num ? 'num' : ''}"><a class="${on ? `sorted ${q.desc ? 'desc' : 'asc'}` : ''}" href="${link({ sort: key, desc, page: 1 })}">${label}</a></th>`;
  };
  const first = v.page.total === 0 ? 0 : (q.page - 1) * q.perPage + 1;
  const last = Math.min(v.page.total, q.page * q.perPage);
  const body = html`
<h1>Incidents</h1>
<form class="filters" method="get" action="/incidents">
${v.hasSensors ? html`<label>sensor<select name="sensor"><option value="">all</option>${v.sensors.map((s) => html`<option value="${s}"${s === q.sensor ? html` selected` : ''}>${s}</option>`)}</select></label>` : ''}
<label>run<select name="run"><option value="all">all runs</option>${v.runs.map((r) => html`<option value="${v.hasSensors ? `${r.sensor}/${r.id}` : r.id}"${r.id === q.runId && (!v.hasSensors || r.sensor === q.sensor) ? html` selected` : ''}>${v.hasSensors ? `${r.sensor} ` : ''}#${r.id} ${r.mode} ${shortTime(r.startedAt).slice(0, 16)} (${r.incidents})</option>`)}</select></label>
<label>from (UTC)<input type="datetime-local" step="1" name="from" value="${isoInput(q.from)}"></label>
<label>to (UTC)<input type="datetime-local" step="1" name="to" value="${isoInput(q.to)}"></label>
<label>host (IP, MAC, or prefix*)<input name="host" value="${q.host ?? ''}" placeholder="192.168.1.12"></label>
<label>port<input name="port" inputmode="numeric" value="${q.port ?? ''}" placeholder="53"></label>
<label>min score<input name="min_score" inputmode="decimal" value="${q.minScore ?? ''}" placeholder="0.99"></label>
<label>per page<select name="per_page">${[50, 100, 500, 1000].map((n) => html`<option${n === q.perPage ? html` selected` : ''}>${n}</option>`)}</select></label>
<input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${q.desc ? 'desc' : 'asc'}">
<button type="submit">Filter</button> <a class="reset" href="/incidents">clear</a>
</form>
${v.notes.length ? html`<div class="notes">${v.notes.map((n) => html`<div>${n}</div>`)}</div>` : ''}
<div class="count" id="count">${v.page.total === 0 ? 'no incidents match' : `incidents ${count(first)}–${count(last)} of ${count(v.page.total)}`}</div>
${v.page.rows.length ? html`<table id="incidents">
<thead><tr>${v.hasSensors ? html`<th>sensor</th>` : ''}${sortHead('id', 'incident')}${sortHead('start', 'start (UTC)')}<th class="num">span</th><th>frames</th>${sortHead('packets', 'packets', true)}${sortHead('score', 'max score', true)}${sortHead('source', 'main source')}<th class="num">srcs</th>${sortHead('target', 'main target')}<th class="num">dsts</th><th>ports</th><th>top features</th></tr></thead>
<tbody>
${v.page.rows.map((r) => incidentLine(r, v.hasSensors))}
</tbody></table>` : html`<p class="empty">Nothing here: widen the filters, or pick another run.</p>`}
${pages > 1 ? html`<div class="pager">${q.page > 1 ? html`<a rel="prev" href="${link({ page: q.page - 1 })}">← previous</a>` : ''}<span>page ${q.page} of ${count(pages)}</span>${q.page < pages ? html`<a rel="next" href="${link({ page: q.page + 1 })}">next →</a>` : ''}</div>` : ''}
`;
  return layout({ title: 'Incidents', here: 'incidents', source: v.source, body });
}

/** Ports of a scan run into the hundreds: the first few, and how many more. */
export function portsSummary(portsJson: string, show = 6): string {
  const ports = jsonList(portsJson);
  return ports.length <= show ? ports.join(' ') : `${ports.slice(0, show).join(' ')} … (+${ports.length - show})`;
}

export function incidentHref(r: { sensor: string; runId: number; id: number }): string {
  return `/runs/${r.runId}/incidents/${r.id}${queryString({ sensor: r.sensor || undefined })}`;
}

function incidentLine(r: IncidentRow, sensors: boolean): Html {
  const feat = r.topFeatures.length > 90 ? `${r.topFeatures.slice(0, 90)}…` : r.topFeatures;
  return html`<tr>${sensors ? html`<td>${r.sensor}</td>` : ''}<td><a href="${incidentHref(r)}">${r.runId}/${r.id}</a>${r.provisional ? html` <span class="tag prov" title="written while the daemon was learning">prov.</span>` : ''}</td><td>${shortTime(r.startIso)}</td><td class="num">${duration(r.endTs - r.startTs)}</td><td>${r.firstFrame}–${r.lastFrame}</td><td class="num">${count(r.packets)}${r.suppressed ? html` <span class="tag" title="rows rate-limited away">${count(r.suppressed)} suppr.</span>` : ''}</td><td class="num">${scoreCell(r.maxScore)}</td><td>${hostLink(r.mainSource, r.sensor || undefined)}</td><td class="num">${r.sources}</td><td>${hostLink(r.mainTarget, r.sensor || undefined)}</td><td class="num">${r.targets}</td><td>${portsSummary(r.ports)}</td><td class="feat" title="${r.topFeatures}">${feat}</td></tr>
`;
}
