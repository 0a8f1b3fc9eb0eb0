import type { AnomalyRow, IncidentRow } from './alert-source';
import { tallyEvidence } from './evidence';
import { html, queryString, type Html } from './html';
import { count, duration, hostLink, jsonList, layout, scoreCell, shortTime } from './page-layout';

export interface IncidentView {
  source: string;
  incident: IncidentRow;
  packets: AnomalyRow[];
  /** Rows the page was allowed to show (the incident may hold more than that). */
  limit: number;
}

const port = (p: number | null): string => (p === null ? '' : String(p));

/** One incident: who, when, what the evidence is, its timeline and every packet row with its explanation. */
export function incidentPage(v: IncidentView): string {
  const i = v.incident;
  const s = i.sensor || undefined;
  const hosts = jsonList(i.hosts);
  const ports = jsonList(i.ports);
  const ev = tallyEvidence(v.packets);
  // Numbers only (epoch seconds, scores): the page script draws them; html`` escapes the attribute anyway.
  const points = JSON.stringify({
    ts: v.packets.map((p) => p.ts),
    score: v.packets.map((p) => Math.round(p.score * 1e4) / 1e4),
    threshold: v.packets[0]?.threshold ?? null,
  });
  const body = html`
<h1>Incident ${i.runId}/${i.id}${s ? html` on sensor ${s}` : ''} ${i.provisional ? html`<span class="tag prov">provisional: written while the daemon was learning</span>` : ''}</h1>
<div class="grid2">
<section>
<dl class="facts" id="facts">
<dt>main source</dt><dd id="main-source">${hostLink(i.mainSource, s)} <span class="tag">${i.sources} source${i.sources === 1 ? '' : 's'}</span></dd>
<dt>main target</dt><dd id="main-target">${hostLink(i.mainTarget, s)} <span class="tag">${i.targets} target${i.targets === 1 ? '' : 's'}</span></dd>
<dt>time (UTC)</dt><dd>${shortTime(i.startIso)} → ${shortTime(i.endIso)} (${duration(i.endTs - i.startTs)})</dd>
<dt>frames</dt><dd>${i.firstFrame}–${i.lastFrame}</dd>
<dt>packets</dt><dd>${count(i.packets)}: ${count(i.anomalies)} rows written${i.suppressed ? `, ${count(i.suppressed)} rate-limited away (counted, not written)` : ''}</dd>
<dt>max score</dt><dd>${scoreCell(i.maxScore)} (attention on frame ${i.attentionFrame ?? '–'})</dd>
<dt>explanation</dt><dd>${i.topFeatures || '–'}</dd>
<dt>ports</dt><dd class="hostlist">${ports.length ? ports.join(' ') : '–'}</dd>
<dt>hosts</dt><dd class="hostlist">${hosts.length ? hosts.map((h, n) => html`${n ? ' ' : ''}${hostLink(String(h), s)}`) : '–'}</dd>
</dl>
<h2>What the evidence accumulated on</h2>
${ev.features.length ? html`<ul class="evidence" id="evidence">${ev.features.map((f) => html`<li><b>${f.name}</b>: named in ${f.packets} of ${v.packets.length} packet explanations, up to ${f.maxSigma > 0 ? '+' : ''}${f.maxSigma.toFixed(1)}σ</li>`)}</ul>` : html`<p class="empty">no feature explanations stored</p>`}
${ev.verdicts.length ? html`<ul class="evidence">${ev.verdicts.slice(0, 4).map((d) => html`<li>${d.packets} ${d.packets === 1 ? 'packet holds' : 'packets hold'} the ${d.kind} verdict of frame ${d.frame}</li>`)}</ul>` : ''}
</section>
<section>
<h2>Timeline</h2>
<div id="timeline" data-points="${points}"></div>
<p class="count">One dot per packet row; the dashed line is the threshold. Drag to zoom, double-click to reset.</p>
</section>
</div>
<h2>Packets (${count(v.packets.length)}${v.packets.length >= v.limit ? ` shown, the first ${count(v.limit)}` : ''})</h2>
<table id="packets">
<thead><tr><th class="num">frame</th><th>time (UTC)</th><th>source</th><th class="num">sport</th><th>destination</th><th class="num">dport</th><th>proto</th><th class="num">len</th><th class="num">score</th><th class="num">attn</th><th>explanation</th><th>input</th></tr></thead>
<tbody>
${v.packets.map(packetLine)}
</tbody></table>
<p><a href="/incidents${queryString({ run: i.runId, sensor: s })}">← incidents of run ${i.runId}</a></p>
`;
  return layout({ title: `Incident ${i.runId}/${i.id}`, here: 'incident', source: v.source, body, chart: true });
}

function packetLine(p: AnomalyRow): Html {
  const src = p.srcIp ?? p.srcMac ?? '';
  const dst = p.dstIp ?? p.dstMac ?? '';
  return html`<tr data-frame="${p.frame}"><td class="num">${p.frame}</td><td>${shortTime(p.tsIso)}</td><td>${src}</td><td class="num">${port(p.srcPort)}</td><td>${dst}</td><td class="num">${port(p.dstPort)}</td><td>${p.protocol}</td><td class="num">${p.length}</td><td class="num">${scoreCell(p.score)}</td><td class="num">${p.attentionFrame ?? ''}</td><td class="feat">${p.topFeatures}</td><td class="wrap">${p.source}</td></tr>
`;
}

export function notFoundPage(source: string, what: string): string {
  return layout({ title: 'Not found', here: 'incident', source, body: html`<h1>Not found</h1><p class="error">${what}</p><p><a href="/incidents">← incidents</a></p>` });
}
