import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir } from './helpers/cli';
import { PgServer, pgSkipReason } from './helpers/pg-server';
import { committedSample } from './helpers/samples';
import { startUi, type UiProcess } from './helpers/ui-browser';

/**
 * `lln-detect ui --pg`: the fleet's PostgreSQL as the source, a real server started in a
 * temporary directory (helpers/pg-server.ts), filled by two sensors' real `replay --pg`. The
 * pages are the SQLite source's (checked in a browser there); here plain HTTP checks that the
 * PostgreSQL queries — sensor, host and port filters on jsonb, an incident's packets — return
 * the rows PostgreSQL holds.
 */
const skip = pgSkipReason() ?? false;
const dir = tempDir('ui-pg');
let pg: PgServer;
let ui: UiProcess;

const rowsOf = (html: string, table: string): string[] => {
  const body = new RegExp(`<table id="${table}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html)?.[1] ?? '';
  return body.split('<tr').slice(1);
};
const cell = (row: string, n: number): string => (row.split('<td').slice(1)[n] ?? '').replace(/^[^>]*>/, '').replace(/<[^>]+>/g, '').trim();

describe('ui on the fleet PostgreSQL', { skip }, () => {
  before(async () => {
    pg = await PgServer.create();
    for (const [capture, sensor] of [['lan-portscan.pcap', 'site-a'], ['lan-dnsshell.pcap', 'site-b']]) {
      const r = runCli(['replay', committedSample(capture), '--db', path.join(dir, `${sensor}.db`), '--no-csv', '--quiet', '--pg', pg.sensorUrl(), '--pg-password-file', pg.sensorPasswordFile(), '--sensor', sensor], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
    }
    // The sensors' role can SELECT everything it wrote; a viewer role would need no more (docs/ui.md).
    ui = await startUi(['--pg', pg.sensorUrl(), '--pg-password-file', pg.sensorPasswordFile()]);
  });
  after(async () => {
    await ui?.stop();
    pg?.destroy();
  });

  const get = async (p: string) => {
    const r = await fetch(ui.url + p);
    assert.equal(r.status, 200, p);
    return r.text();
  };

  test('the list: every sensor\'s incidents with their sensor, narrowed by sensor, host and port as PostgreSQL answers them', async () => {
    const all = await pg.query<{ sensor: string; run_id: string; id: string }>('SELECT sensor, run_id, id FROM incidents ORDER BY start_ts DESC, sensor DESC, run_id DESC, id DESC');
    assert.ok(new Set(all.map((r) => r.sensor)).size === 2, JSON.stringify(all));
    const page = await get('incidents');
    assert.match(page, /PostgreSQL 127\.0\.0\.1:\d+\/fleet/);
    assert.deepEqual(rowsOf(page, 'incidents').map((r) => `${cell(r, 0)} ${cell(r, 1)}`), all.map((r) => `${r.sensor} ${r.run_id}/${r.id}`));
    const a = rowsOf(await get('incidents?sensor=site-a'), 'incidents').map((r) => cell(r, 0));
    assert.deepEqual(a, all.filter((r) => r.sensor === 'site-a').map((r) => r.sensor));
    // both sensors have a run 1: the run menu names the sensor too
    assert.match(page, /<option value="site-b\/1">site-b #1 /);
    const b1 = rowsOf(await get('incidents?run=site-b%2F1'), 'incidents').map((r) => `${cell(r, 0)} ${cell(r, 1)}`);
    assert.deepEqual(b1, all.filter((r) => r.sensor === 'site-b' && r.run_id === '1').map((r) => `${r.sensor} ${r.run_id}/${r.id}`));
    const byHost = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM incidents WHERE main_source = '192.168.1.12' OR main_target = '192.168.1.12' OR hosts::jsonb ? '192.168.1.12'`);
    assert.ok(Number(byHost[0].n) > 0 && Number(byHost[0].n) < all.length, `the scanner is in some incidents: ${byHost[0].n} of ${all.length}`);
    assert.equal(rowsOf(await get('incidents?host=192.168.1.12'), 'incidents').length, Number(byHost[0].n));
    const byPrefix = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM incidents WHERE hosts LIKE '%"192.168.1.1%'`);
    assert.equal(rowsOf(await get('incidents?host=192.168.1.1*'), 'incidents').length, Number(byPrefix[0].n));
    const byPort = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM incidents WHERE ports::jsonb @> '[22]'`);
    assert.ok(Number(byPort[0].n) > 0 && Number(byPrefix[0].n) > 0);
    assert.equal(rowsOf(await get('incidents?port=22&sort=score'), 'incidents').length, Number(byPort[0].n));
  });

  test('an incident of one sensor: exactly its packets; the status page: both sensors\' runs', async () => {
    const [inc] = await pg.query<{ sensor: string; run_id: string; id: string }>(`SELECT sensor, run_id, id FROM incidents WHERE sensor = 'site-b' ORDER BY packets DESC LIMIT 1`);
    const frames = await pg.query<{ frame: string }>('SELECT frame FROM anomalies WHERE sensor = $1 AND run_id = $2 AND incident_id = $3 ORDER BY frame, id', [inc.sensor, inc.run_id, inc.id]);
    const page = await get(`runs/${inc.run_id}/incidents/${inc.id}?sensor=${inc.sensor}`);
    assert.match(page, /on sensor site-b/);
    assert.ok(frames.length > 0);
    assert.deepEqual(rowsOf(page, 'packets').map((r) => cell(r, 0)), frames.map((f) => f.frame));
    assert.equal((await fetch(`${ui.url}runs/${inc.run_id}/incidents/${inc.id}?sensor=site-x`)).status, 404);
    const status = await get('status');
    assert.deepEqual(rowsOf(status, 'runs').map((r) => cell(r, 0)).sort(), ['site-a', 'site-b']);
  });

  test('a database without the fleet schema is one line, exit 5', () => {
    const r = runCli(['ui', '--pg', pg.sensorUrl('postgres'), '--pg-password-file', pg.sensorPasswordFile(), '--listen', '127.0.0.1:0'], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr.trim(), /^lln-detect: LLN_E_PG: PostgreSQL 127\.0\.0\.1:\d+\/postgres holds no lln-detect fleet schema \(no table lln_schema\); point --pg at the fleet's database/);
  });
});
