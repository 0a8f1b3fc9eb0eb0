/**
 * Seeded fuzz: a few thousand mutated captures through the reader (and decode, when built).
 * Only LlnError may escape; every input must finish quickly. `npm run fuzz` runs many more.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtCorpus, loadDecode, runFuzz } from '../bench/fuzz-reader';

describe('capture reader fuzz', () => {
  it('3000 mutated inputs: no crash but LlnError, no hang, invariants hold', { timeout: 120_000 }, async () => {
    // Inputs from the repository alone (fixtures and samples/), so every clone fuzzes the same bytes.
    const report = await runFuzz({ iterations: 3000, seed: 20240611, perInputMs: 10_000, corpus: builtCorpus() });
    assert.equal(report.iterations, 3000);
    // The mutations must reach every outcome, or the fuzzer tests nothing.
    assert.ok(report.clean > 100, `clean reads: ${report.clean}`);
    assert.ok(report.truncated > 100, `truncated reads: ${report.truncated}`);
    for (const code of ['LLN_E_BAD_RECORD', 'LLN_E_BAD_BLOCK', 'LLN_E_NOT_PCAP']) {
      assert.ok((report.errorsByCode[code] ?? 0) > 0, `${code} never raised: ${JSON.stringify(report.errorsByCode)}`);
    }
    assert.ok(report.packets > 10_000, `packets read: ${report.packets}`);
    if (loadDecode()) assert.equal(report.decoded, report.packets);
  });
});
