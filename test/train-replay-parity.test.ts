import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openCaptureFiles } from '../src/capture/file-source';
import { FEATURE_COUNT } from '../src/features/schema';
import { openScorer } from '../src/pipeline/open-scorer';
import { readAllPackets } from '../src/pipeline/read-packets';
import { ScoringPipeline } from '../src/pipeline/scoring-pipeline';
import { extractMatrix, scaleMatrix } from '../src/train/feature-matrix';
import { cutWindow } from '../src/train/window-refs';
import { cutWindowFromRows } from '../src/features/window-cut';
import { DEFAULT_MODEL_DIR } from '../src/paths';
import { SKIP_NO_SAMPLES, sample } from './helpers/samples';

const skip = SKIP_NO_SAMPLES || (existsSync(DEFAULT_MODEL_DIR) ? false : 'models/default is missing (run npm run train:default)');

test('train and replay compute bit-identical vectors and windows for the same capture', { skip }, async () => {
  const files = [sample('nmap-vsn.pcap'), sample('dns-remoteshell.pcap')];
  const model = await openScorer({ backend: 'auto', worker: false, batch: 64 });
  const W = model.window;
  const F = FEATURE_COUNT;
  try {
    // training path: whole-capture matrix, scaled in place
    const { packets } = await readAllPackets(files);
    const m = extractMatrix(packets, new Uint8Array(packets.length));
    scaleMatrix(m, model.scaler);

    // replay path: the streaming pipeline, with the real model; record what it scores
    const seen: Array<{ end: number; data: Float32Array }> = [];
    const rowSeen = new Map<number, Float32Array>();
    const scorer = {
      window: W,
      features: F,
      scoreRows: (rows: Float32Array, ends: Int32Array, n: number) => {
        for (let i = 0; i < n; i++) {
          const data = new Float32Array(W * F);
          cutWindowFromRows(rows, F, ends[i], W, data, 0);
          seen.push({ end: -1, data });
        }
        return model.scorer.scoreRows(rows, ends, n);
      },
      dispose: () => undefined,
    };
    const ends: number[] = [];
    const pipeline = new ScoringPipeline({
      scaler: model.scaler, scorer, window: W, stride: 7, features: F, batchWindows: 16, keepRowsAtOrAbove: 0, // keep every row
      onFinal: (final) => { for (let i = 0; i < final.length; i++) rowSeen.set(final.frame(i), final.scaledRow(i)!.slice()); },
    });
    for await (const batch of openCaptureFiles(files)) await pipeline.push(batch);
    await pipeline.finish();
    for (let t = W; t <= packets.length; t++) if (t === W || (t - W) % 7 === 0) ends.push(t);
    if (ends[ends.length - 1] !== packets.length) ends.push(packets.length);

    assert.equal(rowSeen.size, packets.length);
    for (let i = 0; i < packets.length; i++) {
      assert.deepEqual(rowSeen.get(i + 1), m.rows.subarray(i * F, (i + 1) * F), `scaled vector of frame ${i + 1}`);
    }
    assert.equal(seen.length, ends.length);
    const expect = new Float32Array(W * F);
    seen.forEach((w, k) => {
      cutWindow(m, ends[k] - 1, W, expect, 0);
      assert.deepEqual(w.data, expect, `window ending at frame ${ends[k]}`);
    });
  } finally {
    await model.scorer.dispose();
  }
});
