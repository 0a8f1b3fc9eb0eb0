import type { RunRow } from './alert-source';
import { html, queryString, type Html } from './html';
import { count, duration, layout, shortTime } from './page-layout';
import { captureLoss, captureRate, type Lifecycle, type ModelPromises } from './sensor-status';

export interface StatusView {
  source: string;
  hasSensors: boolean;
  lifecycle: Lifecycle;
  forward: string | null;
  runs: RunRow[];
  promises: ModelPromises;
}

/** The sensor's state: its lifecycle (as `lln-detect status`), its runs with capture rates and drops, each model's promise. */
export function statusPage(v: StatusView): string {
  const latest = v.runs[0];
  const models = [...new Map(v.runs.map((r) => [r.modelSha256, r])).values()].slice(0, 5);
  const body = html`
<h1>Status</h1>
<h2>Lifecycle</h2>
${v.lifecycle.rows.length
    ? html`<dl class="facts" id="lifecycle">${v.lifecycle.rows.map(([k, val]) => html`<dt>${k}</dt><dd>${val}</dd>`)}</dl>`
    : html`<p class="count" id="lifecycle">${v.lifecycle.note ?? ''}</p>`}
${latest ? html`<dl class="facts"><dt>latest run</dt><dd>#${latest.id}${v.hasSensors ? ` on ${latest.sensor}` : ''}: ${latest.mode}, ${latest.status}, started ${shortTime(latest.startedAt)}${latest.finishedAt ? `, finished ${shortTime(latest.finishedAt)}` : ''}</dd></dl>` : ''}
<h2>Models and their promise</h2>
${models.length ? html`<dl class="facts" id="models">${models.map((r) => html`<dt>${r.modelId}</dt><dd>threshold ${r.threshold.toFixed(4)} · ${v.promises.promiseOf(r)}</dd>`)}</dl>` : html`<p class="empty">no runs yet</p>`}
${v.forward ? html`<h2>Fleet forwarding</h2><pre class="status">${v.forward}</pre>` : ''}
<h2>Runs: capture rates and drops</h2>
${v.runs.length ? html`<table id="runs">
<thead><tr>${v.hasSensors ? html`<th>sensor</th>` : ''}<th>run</th><th>mode</th><th>status</th><th>started (UTC)</th><th class="num">duration</th><th>sources</th><th class="num">packets</th><th class="num">packets/s</th><th class="num">received</th><th class="num">dropped</th><th class="num">if-dropped</th><th class="num">queue-dropped</th><th class="num">loss</th><th class="num">shed</th><th class="num">anomalies</th><th class="num">incidents</th><th class="num">suppressed</th></tr></thead>
<tbody>
${v.runs.map((r) => {
    const rate = captureRate(r);
    const loss = captureLoss(r);
    const end = r.finishedAt ? Date.parse(r.finishedAt) : Date.now();
    const na = (n: number | null) => (n === null ? '–' : count(n));
    return html`<tr>${v.hasSensors ? html`<td>${r.sensor}</td>` : ''}<td><a href="/incidents${queryString({ run: r.id, sensor: r.sensor || undefined })}">#${r.id}</a></td><td>${r.mode}</td><td><span class="${r.status === 'failed' ? 'tag bad' : 'tag'}">${r.status}</span></td><td>${shortTime(r.startedAt)}</td><td class="num">${duration((end - Date.parse(r.startedAt)) / 1000)}</td><td class="wrap">${sourcesText(r.sources)}</td><td class="num">${count(r.packets)}</td><td class="num">${rate === null ? '–' : count(Math.round(rate))}</td><td class="num">${na(r.pcapReceived)}</td><td class="num">${na(r.pcapDropped)}</td><td class="num">${na(r.pcapIfdropped)}</td><td class="num">${na(r.queueDropped)}</td><td class="num">${loss ? `${(loss.share * 100).toFixed(2)} %` : '–'}</td>${shedCell(r)}<td class="num">${count(r.anomalies)}</td><td class="num">${count(r.incidents)}</td><td class="num">${count(r.suppressed)}</td></tr>
`;
  })}
</tbody></table>
<p class="count">Received, dropped, if-dropped and queue-dropped are live capture's counters (docs/daemon.md, "Capture loss"); a replay has none. Packets/s is over the run's wall-clock time. Shed: packets in no scored window while the daemon shed model work under overload, and the highest level reached (level L: one due window in 2^L scored; docs/daemon.md, "Overload"); – when nothing was shed (a replay never sheds).</p>` : html`<p class="empty">no runs in this database</p>`}
`;
  return layout({ title: 'Status', here: 'status', source: v.source, body });
}

/**
 * The run's overload shedding: packets no scored window covered, and the highest shed level
 * (the hover adds windows not scored and the time spent). '–' when nothing was shed, a replay
 * (NULL: it never sheds) or a row older than the columns: a column of dashes reads "full resolution".
 */
function shedCell(r: RunRow): Html {
  if (!r.packetsShed && !r.shedMaxLevel) return html`<td class="num">–</td>`;
  const level = r.shedMaxLevel ? ` · level ${r.shedMaxLevel}` : '';
  const title = `${count(r.windowsShed ?? 0)} windows not scored; shedding ${duration(r.shedSeconds ?? 0) || '0 ms'}`;
  return html`<td class="num" title="${title}">${count(r.packetsShed ?? 0)}${level}</td>`;
}

/** runs.sources is a JSON array of files or interfaces (attacker-influenced: a file name is anything). */
function sourcesText(json: string): string {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.map(String).join(', ') : json;
  } catch {
    return json;
  }
}
