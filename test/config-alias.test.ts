import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from './helpers/cli';

/** The stderr lines that are not log records: what the user is told. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('lln-detect:'));
}

const CASES: Array<[string, string, RegExp]> = [
  ['a self-referencing alias', 'a: &a [*a]\n', /a\[0\]: a YAML alias refers to the value that contains it/],
  ['an alias cycle inside a setting', 'interfaces: &i\n  - name: lo\n    x: *i\n', /interfaces\[0\]\.x: a YAML alias refers/],
  ['an alias expansion bomb', ['a0: &a0 [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(',')}]`)].join('\n') + '\n', /Excessive alias count/],
];

for (const [name, yaml, reason] of CASES) {
  test(`config with ${name}: one LLN_E_CONFIG line, exit 7, for config check and daemon`, () => {
    const dir = tempDir('alias');
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, yaml);
    for (const args of [['config', 'check', file], ['daemon', '--config', file]]) {
      const r = runCli(args, { timeoutMs: 60_000 });
      assert.equal(r.code, 7, `${args.join(' ')}: ${r.stderr}`);
      const lines = errorLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^lln-detect: LLN_E_CONFIG: config .*config\.yaml: /);
      assert.match(lines[0], reason);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
}
