import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OverloadShedder } from '../src/daemon/overload-shedder';

/**
 * The daemon's overload control (overload-shedder.ts) on a measured backlog, without a clock of
 * its own: every observation carries its time. Up when the backlog is high and growing (or
 * dangerous, or the window slots are full), held while it drains, down one level per second of a
 * low backlog, one warning per episode and one line when it is over.
 */
function shedder() {
  const lines: { level: string; msg: string }[] = [];
  const log = {
    warn: (msg: string) => void lines.push({ level: 'warn', msg }),
    info: (msg: string) => void lines.push({ level: 'info', msg }),
    debug: (msg: string) => void lines.push({ level: 'debug', msg }),
  };
  const s = new OverloadShedder({ stride: 16, downAfterMs: 1000 }, () => ({ windowsShed: 1234, packetsFilled: 5678 }), log as never);
  return { s, lines, said: (level: string) => lines.filter((l) => l.level === level) };
}

const slots = { inFlight: 0, maxInFlight: 8 };

test('a growing backlog raises the level one step per 8,192 packets pushed; a draining one holds it', () => {
  const { s, said } = shedder();
  let t = 0;
  // A backlog the pipeline keeps up with: nothing.
  for (let i = 0; i < 20; i++) assert.equal(s.observe({ packets: 1000, ...slots }, 1024, (t += 10)), 0);
  // Overload: the backlog grows by 4,000 packets per 8 slices of 1,024.
  let backlog = 10_000;
  for (let i = 0; i < 8 * 3; i++) {
    if (i % 8 === 0) backlog += 4_000;
    s.observe({ packets: backlog, ...slots }, 1024, (t += 10));
  }
  assert.equal(s.level, 2, 'raised twice: 14k was below the 16k mark; 18k is level 1 at once; 22k, still growing, one more');
  assert.equal(s.stride, 64);
  assert.equal(s.factor, 4);
  // Draining, but still high: held.
  for (let i = 0; i < 40; i++) s.observe({ packets: 20_000 - i * 100, ...slots }, 1024, (t += 10));
  assert.equal(s.level, 2);
  assert.equal(said('warn').length, 1, 'one warning for the episode');
  assert.match(said('warn')[0].msg, /^overload: the pipeline is falling behind \(\d[\d,]* packets waiting, 0 of 8 window batches in flight\); shedding model work instead of losing packets: scoring one window in 2 \(stride 16 → 32\)/);
});

test('a large backlog (a burst) or full window slots raise the level at once, growing or not', () => {
  const { s, said } = shedder();
  let t = 0;
  s.observe({ packets: 50_000, ...slots }, 1024, (t += 10));
  assert.equal(s.level, 5, '16k packets waiting is level 1, every 8k more one level more');
  for (let i = 0; i < 3 * 8; i++) s.observe({ packets: 50_000 - i * 100, ...slots }, 1024, (t += 10));
  assert.equal(s.level, 5, 'draining: held');
  s.observe({ packets: 60_000, ...slots }, 1024, (t += 10));
  assert.equal(s.level, 6);
  assert.equal(said('warn').length, 1);
  const b = shedder().s;
  for (let i = 0; i < 8; i++) b.observe({ packets: 0, inFlight: 7, maxInFlight: 8 }, 1024, (t += 10));
  assert.equal(b.level, 1, 'the next batch would have been dropped');
});

test('the level steps down after a second of low backlog (downAfterMs; 0.5 s by default), and the episode ends with one line after 5 s at 0', () => {
  const { s, said } = shedder();
  let t = 0;
  for (let i = 0; i < 8 * 7; i++) s.observe({ packets: 60_000 + i, ...slots }, 1024, (t += 10));
  assert.equal(s.level, 6, 'the top level: one window in 64');
  s.observe({ packets: 90_000, ...slots }, 1024, (t += 10));
  assert.equal(s.level, 6, 'never above the top');
  assert.equal(s.maxStride, 1024);
  // Caught up: the backlog is low from here on (the first low observation starts the clock).
  s.observe({ packets: 0, ...slots }, 0, (t += 10));
  for (let level = 5; level >= 0; level--) {
    s.observe({ packets: 0, ...slots }, 0, (t += 500));
    assert.equal(s.level, level + 1, 'half a second is not enough');
    s.observe({ packets: 0, ...slots }, 0, (t += 500));
    assert.equal(s.level, level);
  }
  assert.equal(said('info').length, 0, 'not over yet: level 0 must hold for 5 s');
  for (let i = 0; i < 5; i++) s.observe({ packets: 0, ...slots }, 0, (t += 1000));
  assert.equal(said('info').length, 1);
  assert.match(said('info')[0].msg, /^overload over: scoring every window again \(stride 16\) for 5 s; shedding lasted [\d.]+ s, up to one window in 64 \(stride 1024\)/);
  assert.ok(s.shedSeconds > 5 && s.shedSeconds < 7, `time spent shedding: ${s.shedSeconds}`);
  assert.equal(said('warn').length, 1, 'still the one warning');
  assert.equal(s.maxLevelSeen, 6);
});

test('a step down undone at once doubles the wait before the next one (no flapping); a new episode warns again', () => {
  const { s, said } = shedder();
  let t = 0;
  const overload = () => { for (let i = 0; i < 8; i++) s.observe({ packets: 17_000, ...slots }, 1024, (t += 10)); };
  overload();
  assert.equal(s.level, 1);
  s.observe({ packets: 0, ...slots }, 0, (t += 10));
  s.observe({ packets: 0, ...slots }, 0, (t += 1000));
  assert.equal(s.level, 0, 'down after 1 s');
  overload(); // back at once: the rate is just above capacity
  assert.equal(s.level, 1);
  s.observe({ packets: 0, ...slots }, 0, (t += 10));
  s.observe({ packets: 0, ...slots }, 0, (t += 1000));
  assert.equal(s.level, 1, 'now it waits 2 s');
  s.observe({ packets: 0, ...slots }, 0, (t += 1000));
  assert.equal(s.level, 0);
  assert.equal(said('warn').length, 1, 'one episode so far: level 0 never held for 5 s');
  for (let i = 0; i < 6; i++) s.observe({ packets: 0, ...slots }, 0, (t += 1000));
  assert.equal(said('info').length, 1);
  overload();
  assert.equal(said('warn').length, 2, 'a new episode');
});
