/**
 * `npm run samples`: (re)write the small committed captures in samples/ with the project's own
 * generator. They exist so that a plain clone has something to replay and test with (the public
 * captures in ../shared/samples are not part of the repository). Same seed → same bytes, so a
 * regenerated sample shows up in `git diff` only when the generator itself changed.
 *
 *   npm run build && node dist/scripts/make-samples.js [--check]
 *
 * `--check` writes to a temporary folder and exits 1 if any file differs from the committed one.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCapture } from '../src/generator/generate-capture';
import { PACKAGE_ROOT } from '../src/paths';
import { SAMPLE_CAPTURES } from './sample-recipe';

/** A committed sample stays small: a repository is not a capture archive. */
const MAX_BYTES = 64 * 1024;

async function main(argv: string[]): Promise<void> {
  const check = argv.includes('--check');
  const samplesDir = path.join(PACKAGE_ROOT, 'samples');
  const outDir = check ? mkdtempSync(path.join(os.tmpdir(), 'lln-samples-')) : samplesDir;
  let differ = 0;
  try {
    for (const c of SAMPLE_CAPTURES) {
      const out = path.join(outDir, c.name);
      const labelsOut = c.scenarios.length > 0 ? out.replace(/\.pcap$/, '.labels.csv') : undefined;
      const r = await generateCapture({ out, labelsOut, ...c.options, scenarios: c.scenarios });
      const bytes = statSync(out).size;
      if (bytes > MAX_BYTES) throw new Error(`${c.name} is ${bytes} bytes (> ${MAX_BYTES}): make the recipe smaller`);
      process.stdout.write(`${c.name}: ${r.packets} packets, ${r.anomalous} attack, ${bytes} bytes\n`);
      if (check) {
        for (const f of [out, labelsOut].filter((x): x is string => !!x)) {
          const committed = path.join(samplesDir, path.basename(f));
          let same = false;
          try {
            same = readFileSync(committed).equals(readFileSync(f));
          } catch {
            /* missing: differs */
          }
          if (!same) {
            differ++;
            process.stdout.write(`  differs from the committed ${path.relative(PACKAGE_ROOT, committed)}\n`);
          }
        }
      }
    }
  } finally {
    if (check) rmSync(outDir, { recursive: true, force: true });
  }
  if (differ > 0) process.exit(1);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
