import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedUnique, hotShare, hottestRowShare, l2HitRate, powerCdf, sampledHotShare } from '../../../server/src/cost/indexStats';
import { measuredSets, median } from './measuredData';

test('uniform distinct rows match the closed form E(1 − e^(−n/E))', () => {
  for (const [rows, n] of [
    [1e3, 5e2],
    [1e6, 1e6],
    [5e7, 2e6],
    [12345, 9e5],
  ]) {
    const exact = rows * -Math.expm1(-n / rows);
    assert.ok(Math.abs(expectedUnique(rows, n, 0) / exact - 1) < 1e-3, `${rows} ${n}`);
  }
});

test('distinct rows are bounded by rows and lookups, and zero without lookups', () => {
  assert.equal(expectedUnique(1000, 0, 0.5), 0);
  assert.ok(expectedUnique(1000, 1e7, 0) <= 1000);
  assert.ok(expectedUnique(1e9, 10, 1.2) <= 10);
});

test('distinct rows grow with rows and lookups and shrink with skew', () => {
  let prev = 0;
  for (const n of [1e3, 1e4, 1e5, 1e6, 1e7]) {
    const u = expectedUnique(1e6, n, 0.8);
    assert.ok(u > prev);
    prev = u;
  }
  prev = 0;
  for (const rows of [1e3, 1e4, 1e5, 1e6, 1e7]) {
    const u = expectedUnique(rows, 1e6, 0.8);
    assert.ok(u > prev);
    prev = u;
  }
  prev = Infinity;
  for (const a of [0, 0.3, 0.6, 0.9, 1.0, 1.1, 1.3]) {
    const u = expectedUnique(1e6, 1e6, a);
    assert.ok(u < prev, `alpha ${a}`);
    prev = u;
  }
});

test('the power-law CDF spans [0, 1] and is continuous at alpha = 1', () => {
  for (const a of [0, 0.5, 1, 1.2]) {
    assert.ok(Math.abs(powerCdf(1, 1000, a)) < 1e-15);
    assert.ok(Math.abs(powerCdf(1001, 1000, a) - 1) < 1e-12);
  }
  assert.ok(Math.abs(powerCdf(50, 1000, 1 + 1e-6) - powerCdf(50, 1000, 1)) < 1e-4);
});

test('hot share: 1% for uniform, rising with skew; hottest row share likewise', () => {
  assert.ok(Math.abs(hotShare(1e6, 1e6, 0) - 0.01) < 1e-12);
  assert.ok(hotShare(1e6, 1e6, 0.8) > hotShare(1e6, 1e6, 0.4));
  assert.ok(hotShare(1e6, 1e6, 1.2) > hotShare(1e6, 1e6, 0.8));
  assert.ok(hottestRowShare(1e6, 1.1) > hottestRowShare(1e6, 0.5));
  assert.equal(hottestRowShare(1e6, 0), 1e-6);
});

test('sampled hot share is 1 when the hot rows outnumber the touched rows', () => {
  // 1% of 1e7 rows = 1e5 slots > ~2e4 touched rows.
  assert.equal(sampledHotShare(1e7, 2e4, 0.2), 1);
  assert.ok(sampledHotShare(1e4, 1e6, 0) > 0.01 && sampledHotShare(1e4, 1e6, 0) < 0.013);
});

// Che's approximation on the worked example of perf-models.md §4: the whole
// H100 L2 holding D=128 fp16 rows (C ≈ 205 K), 1e7 rows: 0.31 / 0.78 / 0.94.
test("Che's hit rate matches the notes' worked example and respects cold misses", () => {
  const hr = [0.8, 1.05, 1.2].map((a) => l2HitRate(1e7, 1e10, a, 205_000));
  assert.ok(Math.abs(hr[0] - 0.31) < 0.01, `${hr[0]}`);
  assert.ok(Math.abs(hr[1] - 0.78) < 0.015, `${hr[1]}`);
  assert.ok(Math.abs(hr[2] - 0.94) < 0.01, `${hr[2]}`);
  // Everything fits: only cold misses, 1 − U/n.
  const n = 1e6;
  assert.ok(Math.abs(l2HitRate(1e4, n, 0, 1e5) - (1 - expectedUnique(1e4, n, 0) / n)) < 1e-3);
  // More cache never hurts; no cache, no hits.
  assert.ok(l2HitRate(1e7, 2e6, 1.0, 4e5) >= l2HitRate(1e7, 2e6, 1.0, 1e5));
  assert.equal(l2HitRate(1e7, 2e6, 1.0, 0), 0);
});

// Observed over the 5,043 tables of models/data/h100/embedding-costs.jsonl
// (measured when written): median |U/unique − 1| ≈ 0.044%, p90 ≈ 0.44%;
// sampled hot share median |rel err| ≈ 0.14%, p90 ≈ 1.1%. The bounds leave
// room for a re-measured campaign.
test('expected distinct rows and hot share match the measured batches', () => {
  const tables = measuredSets().flatMap((s) => s.tables);
  assert.ok(tables.length > 1000);
  const uErr = tables.map((t) => Math.abs(expectedUnique(t.rows, t.n_idx, t.alpha) / t.unique - 1));
  assert.ok(median(uErr) < 0.005, `median U error ${median(uErr)}`);
  // The sampled share is the slow one (~1 ms per table): every 5th table.
  const some = tables.filter((_, i) => i % 5 === 0);
  const hErr = some.map((t) => Math.abs(sampledHotShare(t.rows, t.n_idx, t.alpha) / t.top1pct_share - 1));
  assert.ok(median(hErr) < 0.01, `median hot-share error ${median(hErr)}`);
});
