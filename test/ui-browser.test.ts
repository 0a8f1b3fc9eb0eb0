import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { SqliteSink } from '../src/outputs/sqlite-sink';
import { runCli, tempDir } from './helpers/cli';
import { committedSample } from './helpers/samples';
import { launchChromium, SKIP_NO_CHROMIUM, startUi, type UiProcess } from './helpers/ui-browser';

/**
 * `lln-detect ui` in a real headless chromium, on the SQLite file two real replays of the
 * committed samples wrote: the pages load without a script error or a CSP violation, the
 * filters narrow the list, an incident page shows exactly its packets, a reload shows what a
 * writer committed meanwhile. LLN_UI_SCREENSHOTS=DIR also saves the incident list and the
 * scan's incident page there, cut to their content (docs/ui-incidents.png, docs/ui-incident.png).
 */
const dir = tempDir('ui-browser');
const dbFile = path.join(dir, 'alerts.db');
let ui: UiProcess;
let browser: Browser;
let db: Database.Database;

/** What the tests touch of the page's globals (the project compiles without the DOM's types). */
interface Browserish {
  document: { addEventListener(type: string, fn: (e: { violatedDirective: string; blockedURI: string }) => void): void };
  __csp?: string[];
  __llnUi?: { ready?: boolean; charts: number; errors: string[] };
}

interface IncidentDbRow { run_id: number; id: number; start_ts: number; end_ts: number; main_source: string | null; main_target: string | null; hosts: string; ports: string; packets: number; max_score: number; top_features: string }

/** A page that records every console error, uncaught exception and CSP violation into `problems`. */
async function newPage(problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // Injected by the driver, outside the page's CSP: the page itself may run no inline script.
  await page.addInitScript(() => {
    const w = globalThis as unknown as Browserish;
    w.document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) => {
      (w.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return page;
}

/** For the docs: the page down to its content's end (at most the viewport). */
async function saveScreenshot(page: Page, name: string): Promise<void> {
  const dirOut = process.env.LLN_UI_SCREENSHOTS;
  if (!dirOut) return;
  mkdirSync(dirOut, { recursive: true });
  const height = await page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { bottom: number } } } }).document.querySelector('main').getBoundingClientRect().bottom);
  writeFileSync(path.join(dirOut, name), await page.screenshot({ clip: { x: 0, y: 0, width: 1400, height: Math.min(820, Math.ceil(height)) } }));
}

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as Browserish).__llnUi?.ready === true, null, { timeout: 10_000 });
  assert.deepEqual(await page.evaluate(() => (globalThis as unknown as Browserish).__csp ?? []), [], 'no CSP violation');
}

const cells = (page: Page, table: string, col: number) =>
  page.$$eval(`#${table} tbody tr`, (rows, c) => rows.map((r) => (r.children[c] as unknown as { innerText: string }).innerText.trim()), col);

describe('ui in a headless browser', { skip: SKIP_NO_CHROMIUM }, () => {
  before(async () => {
    for (const capture of ['lan-portscan.pcap', 'lan-dnsshell.pcap']) {
      const r = runCli(['replay', committedSample(capture), '--db', dbFile, '--no-csv', '--quiet'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
    }
    db = new Database(dbFile, { readonly: true });
    [ui, browser] = await Promise.all([startUi(['--db', dbFile]), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
    db?.close();
  });

  const all = () => db.prepare('SELECT * FROM incidents ORDER BY start_ts DESC, run_id DESC, id DESC').all() as IncidentDbRow[];

  test('the incident list shows every incident of both runs, newest first, with no script error or CSP violation', async () => {
    const problems: string[] = [];
    const page = await newPage(problems);
    const res = await page.goto(ui.url);
    assert.equal(res?.status(), 200);
    assert.match(res!.headers()['content-security-policy'], /script-src 'self'/);
    await ready(page);
    const rows = all();
    assert.ok(rows.length >= 2, `the two samples raise incidents (got ${rows.length})`);
    assert.deepEqual(await cells(page, 'incidents', 0), rows.map((r) => `${r.run_id}/${r.id}`));
    assert.equal(await page.textContent('#count'), `incidents 1–${rows.length} of ${rows.length}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('filters narrow the list on the server: host (form), port, min score, run, time range, sort by packets, paging', async () => {
    const problems: string[] = [];
    const page = await newPage(problems);
    await page.goto(`${ui.url}incidents`);
    // The port scan's scanner, typed into the form as an operator would.
    const scan = all().reduce((a, b) => (JSON.parse(b.ports).length > JSON.parse(a.ports).length ? b : a));
    const scanner = scan.main_source!;
    await page.fill('input[name=host]', scanner);
    await Promise.all([page.waitForURL(/host=/), page.click('form.filters button[type=submit]')]);
    await ready(page);
    const byHost = all().filter((r) => r.main_source === scanner || r.main_target === scanner || (JSON.parse(r.hosts) as string[]).includes(scanner));
    assert.ok(byHost.length < all().length, 'the scanner is not in every incident');
    assert.deepEqual(await cells(page, 'incidents', 0), byHost.map((r) => `${r.run_id}/${r.id}`));

    // port: incidents whose ports include 21 (the scan's), every other one left out
    await page.goto(`${ui.url}incidents?port=21`);
    const byPort = all().filter((r) => (JSON.parse(r.ports) as number[]).includes(21));
    assert.deepEqual(await cells(page, 'incidents', 0), byPort.map((r) => `${r.run_id}/${r.id}`));

    // min score above every incident's: none; a run: only its incidents; a bad value: a note, not an error
    await page.goto(`${ui.url}incidents?min_score=1.0&port=abc`);
    const top = all().filter((r) => r.max_score >= 1.0);
    assert.equal(await page.$$eval('#incidents tbody tr', (r) => r.length).catch(() => 0), top.length);
    assert.match((await page.textContent('.notes')) ?? '', /port 'abc' is not a port number/);
    await page.goto(`${ui.url}incidents?run=2`);
    assert.deepEqual(await cells(page, 'incidents', 0), all().filter((r) => r.run_id === 2).map((r) => `${r.run_id}/${r.id}`));

    // a time range (UTC): the incidents overlapping it, here from a second after the first one to end
    const fromTs = Math.floor(Math.min(...all().map((r) => r.end_ts))) + 1;
    const from = new Date(fromTs * 1000).toISOString().slice(0, 19);
    const inRange = all().filter((r) => r.end_ts >= fromTs);
    assert.ok(inRange.length > 0 && inRange.length < all().length, `${from} leaves some out, not all`);
    await page.goto(`${ui.url}incidents?from=${from}`);
    assert.equal(await page.inputValue('input[name=from]'), from);
    assert.deepEqual(await cells(page, 'incidents', 0), inRange.map((r) => `${r.run_id}/${r.id}`));
    await page.goto(`${ui.url}incidents?to=2000-01-01T00:00`);
    assert.equal(await page.textContent('#count'), 'no incidents match');

    // sort by packets: the header link, then its numbers descend
    await page.goto(`${ui.url}incidents`);
    await Promise.all([page.waitForURL(/sort=packets/), page.click('#incidents th >> text=packets')]);
    const packets = (await cells(page, 'incidents', 4)).map((t) => Number(t.split(' ')[0].replace(/,/g, '')));
    assert.deepEqual(packets, [...all().map((r) => r.packets)].sort((a, b) => b - a));

    // one incident a page: a pager, and "next" shows the second
    await page.goto(`${ui.url}incidents?per_page=1`);
    assert.match((await page.textContent('.pager')) ?? '', new RegExp(`page 1 of ${all().length}`));
    await Promise.all([page.waitForURL(/page=2/), page.click('a[rel=next]')]);
    assert.deepEqual(await cells(page, 'incidents', 0), [`${all()[1].run_id}/${all()[1].id}`]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('an incident page shows exactly its packets with scores and explanations, its main source and target, and draws its timeline', async () => {
    const problems: string[] = [];
    const page = await newPage(problems);
    const inc = all().reduce((a, b) => (b.packets > a.packets ? b : a));
    await page.goto(`${ui.url}incidents?sort=packets`);
    await Promise.all([page.waitForURL(/\/incidents\/\d+$/), page.click(`#incidents a[href="/runs/${inc.run_id}/incidents/${inc.id}"]`)]);
    await ready(page);
    const want = db.prepare('SELECT frame, score, top_features, src_ip FROM anomalies WHERE run_id = ? AND incident_id = ? ORDER BY frame, id').all(inc.run_id, inc.id) as Array<{ frame: number; score: number; top_features: string; src_ip: string }>;
    assert.ok(want.length > 10);
    assert.deepEqual((await cells(page, 'packets', 0)).map(Number), want.map((a) => a.frame));
    assert.deepEqual(await cells(page, 'packets', 8), want.map((a) => a.score.toFixed(3)));
    assert.deepEqual(await cells(page, 'packets', 10), want.map((a) => a.top_features));
    assert.equal((await page.textContent('#main-source a'))?.trim(), inc.main_source);
    assert.equal((await page.textContent('#main-target a'))?.trim(), inc.main_target);
    // the timeline: uPlot drew one chart, a canvas of real size
    assert.equal(await page.evaluate(() => (globalThis as unknown as Browserish).__llnUi?.charts), 1);
    const box = await page.locator('#timeline canvas').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 150, JSON.stringify(box));
    assert.ok(((await page.textContent('#evidence')) ?? '').includes('named in'));
    await saveScreenshot(page, 'ui-incident.png');
    // "what else did that host do": the source's link lists its incidents
    await Promise.all([page.waitForURL(/host=/), page.click('#main-source a')]);
    assert.ok((await cells(page, 'incidents', 0)).includes(`${inc.run_id}/${inc.id}`));
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the status page lists the runs with their model, packets and rate; screenshots are real pictures', async () => {
    const problems: string[] = [];
    const page = await newPage(problems);
    await page.goto(`${ui.url}status`);
    await ready(page);
    assert.deepEqual(await cells(page, 'runs', 0), ['#2', '#1']);
    const runs = db.prepare('SELECT id, packets, model_id FROM runs ORDER BY id DESC').all() as Array<{ id: number; packets: number; model_id: string }>;
    assert.deepEqual((await cells(page, 'runs', 6)).map((t) => Number(t.replace(/,/g, ''))), runs.map((r) => r.packets));
    assert.match((await page.textContent('#models')) ?? '', new RegExp(runs[0].model_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const status = await page.screenshot();
    await page.goto(`${ui.url}incidents`);
    await ready(page);
    const list = await page.screenshot();
    for (const png of [status, list]) {
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1400, 820]);
      // a blank 1400x820 page compresses to ~10 KB; text, table and header make it several times that
      assert.ok(png.length > 25_000 && png.length < 3_000_000, `screenshot of ${png.length} bytes`);
    }
    await saveScreenshot(page, 'ui-incidents.png');
    assert.deepEqual(problems, []);
    await page.close();
  });

  // Last: it adds a run to the file the other tests read. The writer is the sensor's own SqliteSink.
  test('a database a sensor writes meanwhile (WAL): a reload shows the rows committed since', async () => {
    const page = await newPage([]);
    try {
      await page.goto(`${ui.url}incidents`);
      const before = await page.$$eval('#incidents tbody tr', (r) => r.length);
      const sink = new SqliteSink(dbFile);
      const now = new Date().toISOString();
      const runId = sink.startRun({ id: 0, startedAt: now, finishedAt: null, mode: 'daemon', sources: ['eth0'], modelId: 'm@0', modelSha256: '0', threshold: 0.9, packets: 10, windows: 1, anomalies: 0, incidents: 1, suppressed: 0, status: 'running', pcapReceived: 1000, pcapDropped: 7, pcapIfDropped: 0, queueDropped: 3 }) as number;
      sink.upsertIncidents([{ id: 1, runId, firstFrame: 1, lastFrame: 2, startTs: Date.now() / 1000, endTs: Date.now() / 1000 + 1, hosts: ['10.9.9.9'], ports: [4444], mainSource: '10.9.9.9', mainTarget: '10.0.0.1', sources: 1, targets: 1, packets: 2, anomalies: 2, suppressed: 0, maxScore: 0.97, attentionFrame: 1, topFeatures: 'tcp_syn=+1.0σ' }]);
      await page.reload();
      assert.equal(await page.$$eval('#incidents tbody tr', (r) => r.length), before + 1);
      assert.equal((await cells(page, 'incidents', 0))[0], `${runId}/1`, 'the newest incident first');
      await page.goto(`${ui.url}status`);
      assert.deepEqual((await cells(page, 'runs', 12)).slice(0, 1), ['1.00 %'], 'loss: (7 + 3) of 1,000 received');
      sink.close();
    } finally {
      await page.close();
    }
  });
});
