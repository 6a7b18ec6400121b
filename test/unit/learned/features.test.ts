import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { FEATURE_NAMES, FEATURE_VERSION, histogramStats, tableFeatures } from '../../../server/src/cost/features';
import { MODELS_DIR, relErr } from './fixtures';

interface FeatureCase {
  rows: number;
  dim: number;
  pooling: number;
  alpha: number;
  dtype_bytes: number;
  batch: number;
  histogram?: number[];
  features: number[];
}
const fx = JSON.parse(readFileSync(path.join(MODELS_DIR, 'fixtures', 'features.json'), 'utf8')) as {
  feature_version: number;
  feature_names: string[];
  cases: FeatureCase[];
};

test('TypeScript and Python agree on the feature list', () => {
  assert.equal(fx.feature_version, FEATURE_VERSION);
  assert.deepEqual(fx.feature_names, FEATURE_NAMES);
});

test('TypeScript features equal the Python features on every fixture case', () => {
  assert.ok(fx.cases.length >= 10);
  for (const c of fx.cases) {
    const ts = tableFeatures(c.rows, c.dim, c.pooling, c.alpha, c.dtype_bytes, c.batch, c.histogram);
    assert.equal(ts.length, c.features.length);
    ts.forEach((v, i) => {
      const ok = Math.abs(v - c.features[i]) <= 1e-12 || relErr(v, c.features[i]) <= 1e-9;
      assert.ok(ok, `${FEATURE_NAMES[i]} of ${JSON.stringify({ ...c, features: undefined })}: ts ${v} vs py ${c.features[i]}`);
    });
  }
});

test('a histogram of rows touched once means every lookup is a distinct row', () => {
  const s = histogramStats([1, ...new Array(16).fill(0)], 1e6, 1000);
  assert.equal(s.unique, 1000);
  assert.equal(s.hottest, 1);
});

test('skew raises the hot share and lowers distinct rows', () => {
  const flat = tableFeatures(1e6, 64, 10, 0, 4, 65536);
  const skew = tableFeatures(1e6, 64, 10, 1.2, 4, 65536);
  const idx = (n: string) => FEATURE_NAMES.indexOf(n);
  assert.ok(skew[idx('hot_share')] > 5 * flat[idx('hot_share')]);
  assert.ok(skew[idx('unique_frac')] < flat[idx('unique_frac')]);
  assert.ok(skew[idx('log_hottest_count')] > flat[idx('log_hottest_count')] + 5);
});
