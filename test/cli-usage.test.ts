import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './helpers/cli';

const cases: Array<[string, string[], RegExp]> = [
  ['misspelt option', ['replay', 'x.pcap', '--treshold', '0.5'], /^lln-detect: LLN_E_USAGE: unknown option '--treshold' \(Did you mean --threshold\?\)$/],
  ['missing argument', ['replay'], /^lln-detect: LLN_E_USAGE: missing required argument 'capture'$/],
  ['unknown command', ['replya'], /^lln-detect: LLN_E_USAGE: unknown command 'replya' \(Did you mean replay\?\)$/],
  ['bad option value', ['replay', 'x.pcap', '--stride', 'abc'], /^lln-detect: LLN_E_USAGE: .*--stride must be a positive integer, got 'abc'$/],
];

for (const [what, args, want] of cases) {
  test(`usage error (${what}): one line with LLN_E_USAGE, exit 2`, () => {
    const r = runCli(args);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], want);
  });
}
