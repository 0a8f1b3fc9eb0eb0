import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import type { AnomalyRecord, IncidentRecord } from '../src/outputs/records';
import { launchChromium, SKIP_NO_CHROMIUM, startUi } from '../test/helpers/ui-browser';

const INCIDENTS = Number(process.env.LLN_BENCH_UI_INCIDENTS ?? 10_000);
const ROUNDS = Number(process.env.LLN_BENCH_UI_ROUNDS ?? 5);

/**
 * `npm run bench -- ui`: a sensor's database with INCIDENTS incidents (scans with hundreds of
 * ports, one incident of 1,000 packet rows), served by `lln-detect ui`, loaded in headless
 * chromium. Per page, the median of ROUNDS loads: the server's answer (ms, fetch) and the
 * browser's whole load, request to the load event with the table laid out (ms). The issue's
 * figure is `list_100_per_page_browser_ms`: the list of a 10,000-incident database, first page
 * (paging is the server's; a page holds at most 1,000: src/ui/incident-query.ts says why).
 */
export async function runUiBench(): Promise<Record<string, number>> {
  if (SKIP_NO_CHROMIUM) throw new Error(`ui bench: ${SKIP_NO_CHROMIUM}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lln-ui-bench-'));
  const out: Record<string, number> = {};
  try {
    const db = path.join(dir, 'alerts.db');
    const t0 = Date.now();
    fill(db);
    out.fill_seconds = (Date.now() - t0) / 1000;
    const ui = await startUi(['--db', db]);
    const browser = await launchChromium();
    try {
      const pages: Record<string, string> = {
        list_100_per_page: 'incidents',
        list_1000_per_page: 'incidents?per_page=1000',
        list_filtered_host_port: 'incidents?host=10.0.3.*&port=445&sort=score',
        list_last_page_by_packets: `incidents?sort=packets&page=${Math.ceil(INCIDENTS / 100)}`,
        incident_1000_packets: 'runs/1/incidents/1',
      };
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      for (const [name, url] of Object.entries(pages)) {
        const server: number[] = [], full: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          let t = performance.now();
          const body = await (await fetch(ui.url + url)).text();
          server.push(performance.now() - t);
          if (i === 0) out[`${name}_kb`] = body.length / 1024;
          t = performance.now();
          await page.goto(ui.url + url, { waitUntil: 'load' });
          // the table is laid out once its last row has a position
          await page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): unknown } | null } }).document.querySelector('tbody tr:last-child')?.getBoundingClientRect());
          full.push(performance.now() - t);
        }
        out[`${name}_server_ms`] = median(server);
        out[`${name}_browser_ms`] = median(full);
      }
    } finally {
      await browser.close();
      await ui.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** INCIDENTS incidents over a day from 200 hosts; every 10th a scan of 300 ports; incident 1 with 1,000 rows. */
export function fill(db: string): void {
  const sink = new SqliteSink(db);
  const start = 1_709_510_400;
  const runId = sink.startRun({ id: 0, startedAt: '2024-03-04T00:00:00.000Z', finishedAt: '2024-03-05T00:00:00.000Z', mode: 'daemon', sources: ['eth0'], modelId: 'bench@0', modelSha256: '0', threshold: 0.9, packets: 50_000_000, windows: 3_000_000, anomalies: 1000, incidents: INCIDENTS, suppressed: 0, status: 'finished', pcapReceived: 50_000_000, pcapDropped: 1200, pcapIfDropped: 0, queueDropped: 0 }) as number;
  const incidents: IncidentRecord[] = [];
  for (let i = 1; i <= INCIDENTS; i++) {
    const src = `10.0.${i % 8}.${i % 200}`, dst = `10.1.${i % 5}.${(i * 7) % 250}`;
    const ports = i % 10 === 0 ? Array.from({ length: 300 }, (_, p) => p + 1) : [445, 1024 + (i % 50000)];
    const t = start + (i * 86_400) / INCIDENTS;
    incidents.push({ id: i, runId, firstFrame: i * 100, lastFrame: i * 100 + 40, startTs: t, endTs: t + 3, hosts: [src, dst], ports, mainSource: src, mainTarget: dst, sources: 1, targets: 1, packets: i === 1 ? 1000 : 2 + (i % 300), anomalies: 2 + (i % 300), suppressed: 0, maxScore: 0.9 + (i % 100) / 1000, attentionFrame: i * 100 + 3, topFeatures: 'flow verdict of frame 12; tcp_syn=+5.9σ, flow_first=+4.8σ, svc_smb=+3.1σ' });
  }
  for (let i = 0; i < incidents.length; i += 1000) sink.upsertIncidents(incidents.slice(i, i + 1000));
  const rows: AnomalyRecord[] = [];
  for (let f = 0; f < 1000; f++) {
    rows.push({ runId, frame: 100 + f, ts: start + f * 0.003, tsIso: new Date((start + f * 0.003) * 1000).toISOString(), source: 'eth0', interfaceId: 0, srcMac: null, dstMac: null, srcIp: '10.0.1.1', dstIp: '10.1.1.7', srcPort: 40000 + f, dstPort: 445, protocol: 'TCP', length: 60, score: 0.9 + (f % 10) / 100, threshold: 0.9, incidentId: 1, attentionFrame: 103, topFeatures: 'tcp_syn=+5.9σ, flow_first=+4.8σ', communityId: null });
  }
  sink.writeAnomalies(rows);
  sink.close();
}
