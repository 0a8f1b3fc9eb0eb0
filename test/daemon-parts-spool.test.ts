import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpoolWatcher, type SpoolOutcome } from '../src/daemon/spool-watcher';
import { HAVE_SAMPLES, sample } from './helpers/samples';

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'lln-spool-'));
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

test('a file copied in slowly is processed exactly once, only when complete, and not again after a restart', async () => {
  const root = tmp();
  const dir = path.join(root, 'spool');
  const stateFile = path.join(root, 'state', 'spool.json');
  const source = HAVE_SAMPLES ? readFileSync(sample('http.cap')) : Buffer.alloc(20000, 7);
  try {
    mkdirSync(dir);
    const seen: Array<{ path: string; size: number }> = [];
    const onFile = async (p: string): Promise<SpoolOutcome> => {
      seen.push({ path: p, size: statSync(p).size });
      return 'done';
    };
    const w = new SpoolWatcher({ dir, settleSeconds: 0.3, stateFile, pollMs: 30 });
    w.start(onFile);

    // Six chunks, 100 ms apart: each pause is shorter than the settle time.
    const target = path.join(dir, 'capture-001.pcap');
    const chunk = Math.ceil(source.length / 6);
    writeFileSync(path.join(dir, '.capture-002.pcap.part'), 'temp file of a writer: ignored');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a capture: ignored');
    for (let off = 0; off < source.length; off += chunk) {
      appendFileSync(target, source.subarray(off, off + chunk));
      await sleep(100);
      assert.equal(seen.length, 0, `processed while still being written (after ${off + chunk} bytes)`);
    }
    await until(() => seen.length > 0, 2000);
    await sleep(300); // several more polls: must not be processed twice
    await w.stop();
    assert.deepEqual(seen, [{ path: target, size: source.length }]);
    assert.ok(existsSync(target), 'left in place without processedDir');

    // Restart with the same state file: nothing new.
    const w2 = new SpoolWatcher({ dir, settleSeconds: 0.1, stateFile, pollMs: 20 });
    w2.start(onFile);
    await sleep(300);
    await w2.stop();
    assert.equal(seen.length, 1, 'not processed again after a restart');

    // Same name, new content (a rotating writer reusing names): processed again.
    appendFileSync(target, Buffer.alloc(100));
    const w3 = new SpoolWatcher({ dir, settleSeconds: 0.1, stateFile, pollMs: 20 });
    w3.start(onFile);
    await until(() => seen.length > 1, 2000);
    await w3.stop();
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.size, source.length + 100);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('processed files move to processedDir, oldest first, and a failing file is not retried', async () => {
  const root = tmp();
  const dir = path.join(root, 'in');
  const done = path.join(root, 'done');
  mkdirSync(dir);
  try {
    writeFileSync(path.join(dir, 'b.pcapng'), 'b');
    await sleep(20);
    writeFileSync(path.join(dir, 'a.pcap.gz'), 'a');
    writeFileSync(path.join(dir, 'bad.pcap'), 'x');
    const order: string[] = [];
    const w = new SpoolWatcher({ dir, processedDir: done, settleSeconds: 0.05, stateFile: path.join(root, 'state.json'), pollMs: 20 });
    w.start(async (p) => {
      order.push(path.basename(p));
      if (p.endsWith('bad.pcap')) throw new Error('not a capture');
      return 'done';
    });
    await until(() => order.length >= 3, 2000);
    await sleep(200);
    await w.stop();
    assert.equal(order[0], 'b.pcapng', 'the oldest file goes first');
    assert.deepEqual([...order].sort(), ['a.pcap.gz', 'b.pcapng', 'bad.pcap'], 'each exactly once, the failing one included');
    for (const n of ['a.pcap.gz', 'b.pcapng', 'bad.pcap']) {
      assert.ok(existsSync(path.join(done, n)), `${n} moved`);
      assert.ok(!existsSync(path.join(dir, n)));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a file interrupted by shutdown is neither recorded nor moved, and is handled again at the next start', async () => {
  const root = tmp();
  const dir = path.join(root, 'in');
  const done = path.join(root, 'done');
  const stateFile = path.join(root, 'state.json');
  mkdirSync(dir);
  try {
    writeFileSync(path.join(dir, 'big.pcap'), 'x'.repeat(1000));
    const calls: string[] = [];
    const w = new SpoolWatcher({ dir, processedDir: done, settleSeconds: 0.05, stateFile, pollMs: 20 });
    w.start(async (p) => {
      calls.push(path.basename(p));
      void w.stop(); // shutdown begins; the replay then returns early
      return 'interrupted';
    });
    await until(() => calls.length >= 1, 2000);
    await w.stop();
    assert.ok(existsSync(path.join(dir, 'big.pcap')), 'left in the spool');
    assert.ok(!existsSync(path.join(done, 'big.pcap')), 'not moved');

    const w2 = new SpoolWatcher({ dir, processedDir: done, settleSeconds: 0.05, stateFile, pollMs: 20 });
    w2.start(async (p) => {
      calls.push(path.basename(p));
      return 'done';
    });
    await until(() => calls.length >= 2, 2000);
    await sleep(100);
    await w2.stop();
    assert.deepEqual(calls, ['big.pcap', 'big.pcap'], 'handled again after the restart, then once only');
    assert.ok(existsSync(path.join(done, 'big.pcap')), 'moved once done');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
