import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { PcapWriter } from '../src/capture/pcap-writer';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { runCli, tempDir } from './helpers/cli';
import { dnsQuery, ethernet, ipv4, udp } from './helpers/frame-builder';
import { launchChromium, SKIP_NO_CHROMIUM, startUi, type UiProcess } from './helpers/ui-browser';

/**
 * Everything the view shows is attacker-controlled. A capture whose DNS queries carry HTML and
 * script, replayed from a file whose name does too, then every text column filled with payloads
 * the way a compromised sensor could fill the fleet's database: no payload may run (no dialog,
 * no flag set, no element created), and each is shown as the text it is.
 */
const PAYLOADS = [
  `<script>window.__pwned='script'</script>`,
  `<img src=x onerror="window.__pwned='img'">`,
  `"><svg onload="window.__pwned='svg'">`,
  `'><iframe src="javascript:window.__pwned='iframe'"></iframe>`,
  `</td></tr></table><b onmouseover=alert(5)>x</b>`,
  '`${alert(6)}`',
];
// A file name may hold anything but '/': this one breaks out of an attribute and opens a tag.
const FILE_NAME = `x"><img src=y onerror="window.__pwned='file'">.pcap`;

interface Pagewatch { dialogs: string[]; problems: string[] }

/** What the page's globals hold after the test's payloads had their chance (the project compiles without the DOM's types). */
interface Hostile { __pwned?: string; document: { querySelectorAll(s: string): { length: number }; scripts: ArrayLike<{ src: string }> } }

const dir = tempDir('ui-hostile');
const dbFile = path.join(dir, 'alerts.db');
let ui: UiProcess;
let browser: Browser;

/** DNS queries from one host for names made of the payloads (labels may hold any byte; dots split them). */
function writeHostileCapture(file: string): void {
  const w = new PcapWriter(file, { linkType: 1 });
  const t0 = 1_709_542_800;
  for (let i = 0; i < 120; i++) {
    const name = `${PAYLOADS[i % PAYLOADS.length].replace(/\./g, '')}.evil${i}.example`;
    const frame = ethernet({ type: 0x0800, payload: ipv4({ src: '192.168.1.66', dst: '192.168.1.1', proto: 17, payload: udp({ sport: 40000 + i, dport: 53, payload: dnsQuery({ id: i, name, qtype: 16 }) }) }) });
    w.write(t0 + i * 0.05, 0, frame);
  }
  w.closeSync();
}

async function watchedPage(w: Pagewatch): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
  page.on('dialog', (d) => { w.dialogs.push(d.message()); void d.dismiss(); });
  page.on('pageerror', (e) => w.problems.push(e.message));
  return page;
}

/** No payload ran or made an element: no flag, no img/svg/iframe/b from the data, only the view's own scripts. */
async function assertInert(page: Page, w: Pagewatch, where: string): Promise<void> {
  await page.mouse.move(300, 400); // an onmouseover payload gets its chance too
  const found = await page.evaluate(() => {
    const g = globalThis as unknown as Hostile;
    const scripts = Array.from(g.document.scripts).map((s) => s.src.replace(/^https?:\/\/[^/]+/, ''));
    return { pwned: g.__pwned ?? null, injected: g.document.querySelectorAll('img, svg, iframe, object, embed, b[onmouseover]').length, scripts };
  });
  assert.equal(found.pwned, null, `${where}: a payload ran`);
  assert.equal(found.injected, 0, `${where}: a payload made an element`);
  assert.ok(found.scripts.every((s) => s.startsWith('/static/')), `${where}: ${found.scripts.join(' ')}`);
  assert.deepEqual(w.dialogs, [], `${where}: a dialog opened`);
}

describe('ui: hostile names are shown, never run', { skip: SKIP_NO_CHROMIUM }, () => {
  before(async () => {
    const capture = path.join(dir, FILE_NAME);
    writeHostileCapture(capture);
    // --threshold 0.01: every query becomes an anomaly row, so every page shows the file name
    const r = runCli(['replay', capture, '--db', dbFile, '--no-csv', '--quiet', '--threshold', '0.01'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    // Then the columns a capture cannot reach (addresses are decoded, not copied), as a rogue writer would fill them.
    const sink = new SqliteSink(dbFile);
    const p = (i: number) => PAYLOADS[i % PAYLOADS.length];
    const runId = sink.startRun({ id: 0, startedAt: new Date().toISOString(), finishedAt: null, mode: 'daemon', sources: [p(0), p(1)], modelId: p(2), modelSha256: p(3), threshold: 0.9, packets: 6, windows: 1, anomalies: 6, incidents: 1, suppressed: 0, status: 'running' }) as number;
    sink.writeAnomalies(PAYLOADS.map((_, i) => ({
      runId, frame: i + 1, ts: 1_709_542_900 + i, tsIso: p(i), source: p(i + 1), interfaceId: 0, srcMac: p(i + 2), dstMac: p(i + 3), srcIp: p(i), dstIp: p(i + 1),
      srcPort: 1, dstPort: 2, protocol: 'UDP' as const, length: 60, score: 0.99, threshold: 0.9, incidentId: 1, attentionFrame: 1, topFeatures: p(i + 4), communityId: p(i + 5),
    })));
    sink.upsertIncidents([{ id: 1, runId, firstFrame: 1, lastFrame: 6, startTs: 1_709_542_900, endTs: 1_709_542_906, hosts: PAYLOADS, ports: [53], mainSource: p(0), mainTarget: p(1), sources: 6, targets: 6, packets: 6, anomalies: 6, suppressed: 0, maxScore: 0.99, attentionFrame: 1, topFeatures: p(2) }]);
    sink.close();
    [ui, browser] = await Promise.all([startUi(['--db', dbFile]), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
  });

  test('the replayed capture: its DNS names are stored nowhere, its file name is, and the pages show it as text', async () => {
    const db = new Database(dbFile, { readonly: true });
    const replayRun = 1;
    const inc = db.prepare('SELECT id FROM incidents WHERE run_id = ? ORDER BY packets DESC LIMIT 1').get(replayRun) as { id: number } | undefined;
    const sources = db.prepare('SELECT DISTINCT source FROM anomalies WHERE run_id = ?').all(replayRun) as Array<{ source: string }>;
    // the decoder reads the names (dns_* features) but no output stores them: only the file name carries a payload
    const named = db.prepare(`SELECT count(*) AS n FROM anomalies WHERE run_id = ? AND (top_features || ifnull(src_ip, '') || ifnull(dst_ip, '') || protocol) LIKE '%evil%'`).get(replayRun) as { n: number };
    db.close();
    assert.equal(named.n, 0);
    assert.ok(inc, 'the hostile queries raised an incident');
    assert.deepEqual(sources.map((s) => path.basename(s.source)), [FILE_NAME]);
    const w: Pagewatch = { dialogs: [], problems: [] };
    const page = await watchedPage(w);
    await page.goto(`${ui.url}runs/${replayRun}/incidents/${inc.id}`);
    await page.waitForFunction(() => (globalThis as unknown as { __llnUi?: { ready?: boolean } }).__llnUi?.ready === true);
    await assertInert(page, w, 'incident page');
    const inputs = await page.$$eval('#packets tbody tr', (rows) => rows.map((r) => (r.lastElementChild as unknown as { textContent: string }).textContent));
    assert.ok(inputs.length >= 100 && inputs.every((t) => t.endsWith(FILE_NAME)), 'the file name, as text, on every packet row');
    await page.goto(`${ui.url}status`);
    await assertInert(page, w, 'status page');
    assert.ok(((await page.textContent('#runs')) ?? '').includes(FILE_NAME));
    assert.deepEqual(w.problems, []);
    await page.close();
  });

  test('payloads in every text column, in the filters and in a bad parameter: shown literally on every page, none runs', async () => {
    const w: Pagewatch = { dialogs: [], problems: [] };
    const page = await watchedPage(w);
    const pages: Array<[string, string]> = [
      ['incident list', 'incidents?run=2'],
      ['incident page', 'runs/2/incidents/1'],
      ['status page', 'status'],
      // reflected: the host filter is echoed into its input, a bad port into a note
      ['filtered list', `incidents?host=${encodeURIComponent(PAYLOADS[0])}&port=${encodeURIComponent(PAYLOADS[1])}`],
      ['not found', `runs/2/incidents/99?sensor=${encodeURIComponent(PAYLOADS[2])}`],
    ];
    for (const [where, url] of pages) {
      await page.goto(ui.url + url);
      await page.waitForFunction(() => (globalThis as unknown as { __llnUi?: { ready?: boolean } }).__llnUi?.ready === true);
      await assertInert(page, w, where);
    }
    await page.goto(`${ui.url}runs/2/incidents/1`);
    const text = (await page.textContent('main')) ?? '';
    for (const p of PAYLOADS) assert.ok(text.includes(p), `shown as text: ${p}`);
    await page.goto(`${ui.url}incidents?host=${encodeURIComponent(PAYLOADS[0])}&port=${encodeURIComponent(PAYLOADS[1])}`);
    assert.equal(await page.inputValue('input[name=host]'), PAYLOADS[0]);
    assert.ok(((await page.textContent('.notes')) ?? '').includes(PAYLOADS[1]));
    // and the host filter finds the incident by its hostile main source, as the text it is
    assert.deepEqual(await page.$$eval('#incidents tbody tr td:first-child', (c) => c.map((x) => (x as unknown as { textContent: string }).textContent.trim())), ['2/1']);
    assert.deepEqual(w.problems, []);
    await page.close();
  });
});
