import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MODEL, tempDir } from './helpers/cli';
import { DaemonProcess, freePort, sleep, writeConfig } from './helpers/daemon-harness';
import { committedSample } from './helpers/samples';
import { startUi, type UiProcess } from './helpers/ui-browser';

/**
 * `lln-detect ui --config FILE` beside a running daemon: the view finds the daemon's database and
 * state directory in its config, and while the daemon scores a capture dropped into its spool
 * folder, a reload shows the incident it wrote. Plain HTTP: the pages are checked in a browser
 * in ui-browser.test.ts.
 */
const dir = tempDir('ui-daemon');
let daemon: DaemonProcess;
let ui: UiProcess;

describe('ui beside a running daemon', () => {
  before(async () => {
    const spool = path.join(dir, 'spool');
    mkdirSync(spool);
    const port = await freePort();
    // A spool folder and no interface: the daemon as it runs on a sensor, without needing root.
    const config = writeConfig(path.join(dir, 'config.yaml'), { model: DEFAULT_MODEL, port, db: path.join(dir, 'alerts.db'), spool, settleSeconds: 0.2 });
    daemon = new DaemonProcess(config, port);
    await daemon.waitReady();
    ui = await startUi(['--config', config]);
    copyFileSync(committedSample('lan-portscan.pcap'), path.join(spool, 'scan.pcap'));
  });
  after(async () => {
    await ui?.stop();
    if (daemon) await daemon.stop();
  });

  test('the daemon\'s database from its config: the incident it writes appears on reload; its lifecycle on the status page', async () => {
    const text = async (p: string) => (await (await fetch(ui.url + p)).text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    let list = '';
    for (let i = 0; i < 150 && !/192\.168\.1\.12/.test(list); i++) {
      await sleep(200);
      list = await text('incidents');
    }
    assert.match(list, /incidents 1–\d+ of \d+/, list);
    assert.match(list, /192\.168\.1\.12 \d+ 192\.168\.1\.10/, 'the scan: its scanner and its target');
    const status = await text('status');
    // model.dir is set in the config: lln-detect status says the daemon runs a fixed model, and so does the view
    assert.match(status, /state not learning: the daemon runs the fixed model/);
    assert.match(status, /#1 daemon (running|finished)/);
  });
});
