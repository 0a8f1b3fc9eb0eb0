import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths';
import { FEATURE_COUNT, FEATURE_INDEX, FEATURE_SCHEMA, featureNames } from '../src/features/schema';
import { SERVICE_BY_PORT, SERVICE_BASE } from '../src/features/service-ports';

test('schema: names are unique, count equals FEATURE_COUNT, index matches order', () => {
  const names = featureNames();
  assert.equal(names.length, FEATURE_COUNT);
  assert.equal(new Set(names).size, names.length);
  names.forEach((n, i) => assert.equal((FEATURE_INDEX as Record<string, number>)[n], i, n));
  assert.match(FEATURE_SCHEMA.version, /^\d+\.\d+\.\d+$/);
  for (const f of FEATURE_SCHEMA.features) {
    assert.ok(f.description.length > 10, `${f.name} needs a description`);
    assert.ok(['none', 'log1p', 'signed_log1p', 'onehot', 'flag'].includes(f.transform), f.name);
  }
});

test('schema: TCP flag columns are consecutive in bit order (the extractor relies on it)', () => {
  const order = ['tcp_fin', 'tcp_syn', 'tcp_rst', 'tcp_psh', 'tcp_ack', 'tcp_urg', 'tcp_ece', 'tcp_cwr'] as const;
  order.forEach((n, b) => assert.equal(FEATURE_INDEX[n], FEATURE_INDEX.tcp_fin + b));
});

test('schema: service port table maps to svc_* columns', () => {
  assert.equal(featureNames()[SERVICE_BASE + SERVICE_BY_PORT[53] - 1], 'svc_dns');
  assert.equal(featureNames()[SERVICE_BASE + SERVICE_BY_PORT[443] - 1], 'svc_https');
  assert.equal(featureNames()[SERVICE_BASE + SERVICE_BY_PORT[445] - 1], 'svc_smb');
  assert.equal(SERVICE_BY_PORT[40000], 0);
});

test('schema: docs/features.md documents every feature with its unit and transform, in order', () => {
  const md = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'features.md'), 'utf8');
  assert.ok(md.includes(`version ${FEATURE_SCHEMA.version}`), 'docs must name the schema version');
  const rows = md.split('\n').filter((l) => /^\|\s*\d+\s*\|/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
  assert.equal(rows.length, FEATURE_COUNT);
  rows.forEach((r, i) => {
    const f = FEATURE_SCHEMA.features[i];
    assert.equal(Number(r[1]), i);
    assert.equal(r[2], '`' + f.name + '`');
    assert.equal(r[4], f.unit || '—', `unit of ${f.name}`);
    assert.equal(r[5], f.transform, `transform of ${f.name}`);
  });
});
