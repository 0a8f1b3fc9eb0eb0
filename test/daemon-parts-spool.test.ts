import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpoolWatcher, type SpoolOutcome } from '../src/daemon/spool-watcher';
import { committedSample } from './helpers/samples';

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'lln-spool-'));
}

/** The watcher's clock, moved by the test: settle times are checked without sleeping. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('a file copied in slowly is processed exactly once, only when complete, and not again after a restart', async () => {
  const root = tmp();
  const dir = path.join(root, 'spool');
  const stateFile = path.join(root, 'state', 'spool.json');
  const source = readFileSync(committedSample('lan-portscan.pcap'));
  try {
    mkdirSync(dir);
    const seen: Array<{ path: string; size: number }> = [];
    const onFile = async (p: string): Promise<SpoolOutcome> => {
      seen.push({ path: p, size: statSync(p).size });
      return 'done';
    };
    const clock = manualClock();
    const w = new SpoolWatcher({ dir, settleSeconds: 0.3, stateFile, clock: clock.now });

    // Six chunks, 100 ms apart on the watcher's clock (a poll between each): each pause is
    // shorter than the settle time. mtime changes with every append, since the size does.
    const target = path.join(dir, 'capture-001.pcap');
    const chunk = Math.ceil(source.length / 6);
    writeFileSync(path.join(dir, '.capture-002.pcap.part'), 'temp file of a writer: ignored');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a capture: ignored');
    for (let off = 0; off < source.length; off += chunk) {
      appendFileSync(target, source.subarray(off, off + chunk));
      await w.poll(onFile);
      clock.advance(100);
      await w.poll(onFile);
      assert.equal(seen.length, 0, `processed while still being written (after ${off + chunk} bytes)`);
    }
    clock.advance(300);
    await w.poll(onFile);
    assert.equal(seen.length, 1, 'processed once settled');
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await w.poll(onFile); // more polls: must not be processed twice
    }
    assert.deepEqual(seen, [{ path: target, size: source.length }]);
    assert.ok(existsSync(target), 'left in place without processedDir');

    // Restart with the same state file: nothing new.
    const w2 = new SpoolWatcher({ dir, settleSeconds: 0.1, stateFile, clock: clock.now });
    for (let i = 0; i < 3; i++) {
      await w2.poll(onFile);
      clock.advance(200);
    }
    assert.equal(seen.length, 1, 'not processed again after a restart');

    // Same name, new content (a rotating writer reusing names): processed again.
    appendFileSync(target, Buffer.alloc(100));
    const w3 = new SpoolWatcher({ dir, settleSeconds: 0.1, stateFile, clock: clock.now });
    await w3.poll(onFile);
    clock.advance(200);
    await w3.poll(onFile);
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
    writeFileSync(path.join(dir, 'a.pcap.gz'), 'a');
    writeFileSync(path.join(dir, 'bad.pcap'), 'x');
    // Oldest by mtime, set explicitly rather than by sleeping between the writes.
    utimesSync(path.join(dir, 'b.pcapng'), 1_000, 1_000);
    const order: string[] = [];
    const clock = manualClock();
    const w = new SpoolWatcher({ dir, processedDir: done, settleSeconds: 0.05, stateFile: path.join(root, 'state.json'), clock: clock.now });
    const onFile = async (p: string): Promise<SpoolOutcome> => {
      order.push(path.basename(p));
      if (p.endsWith('bad.pcap')) throw new Error('not a capture');
      return 'done';
    };
    mkdirSync(done);
    for (let i = 0; i < 4; i++) {
      await w.poll(onFile);
      clock.advance(100);
    }
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
  mkdirSync(done);
  try {
    writeFileSync(path.join(dir, 'big.pcap'), 'x'.repeat(1000));
    const calls: string[] = [];
    const clock = manualClock();
    const w = new SpoolWatcher({ dir, processedDir: done, settleSeconds: 0.05, stateFile, clock: clock.now });
    const interrupted = async (p: string): Promise<SpoolOutcome> => {
      calls.push(path.basename(p));
      return 'interrupted'; // shutdown began; the replay returned early
    };
    await w.poll(interrupted);
    clock.advance(100);
    await w.poll(interrupted);
    assert.deepEqual(calls, ['big.pcap']);
    assert.ok(existsSync(path.join(dir, 'big.pcap')), 'left in the spool');
    assert.ok(!existsSync(path.join(done, 'big.pcap')), 'not moved');

    const w2 = new SpoolWatcher({ dir, processedDir: done, settleSeconds: 0.05, stateFile, clock: clock.now });
    const finish = async (p: string): Promise<SpoolOutcome> => {
      calls.push(path.basename(p));
      return 'done';
    };
    for (let i = 0; i < 4; i++) {
      await w2.poll(finish);
      clock.advance(100);
    }
    assert.deepEqual(calls, ['big.pcap', 'big.pcap'], 'handled again after the restart, then once only');
    assert.ok(existsSync(path.join(done, 'big.pcap')), 'moved once done');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('start() polls on its own timer and stop() waits for the file in hand', async () => {
  const root = tmp();
  const dir = path.join(root, 'in');
  mkdirSync(dir);
  try {
    writeFileSync(path.join(dir, 'one.pcap'), 'x');
    const w = new SpoolWatcher({ dir, settleSeconds: 0.02, stateFile: path.join(root, 'state.json'), pollMs: 10 });
    let handled = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    w.start(async () => {
      handled++;
      entered();
      await gate;
      return 'done';
    });
    await inHandler; // a condition, not a duration
    const stopping = w.stop();
    release();
    await stopping;
    assert.equal(handled, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
