import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableSpec } from '../../../server/src/config/types';
import { canSplitColumns, columnShards, rowShards, tableShard } from '../../../server/src/cost/shards';

function table(over: Partial<TableSpec> = {}): TableSpec {
  return { name: 't', rows: 1_000_003, dim: 128, pooling: 10, zipf: 1.05, dtype: 'fp16', kernel: 'fbgemm_tbe', ids: 'hashed', sharding: ['table', 'column', 'row'], ...over };
}

test('a whole-table shard carries the table numbers and dtype bytes', () => {
  const s = tableShard(table({ histogram: [1, ...new Array(16).fill(0)] }));
  assert.deepEqual(
    { table: s.table, rows: s.rows, dim: s.dim, pooling: s.pooling, zipf: s.zipf, dtypeBytes: s.dtypeBytes },
    { table: 't', rows: 1_000_003, dim: 128, pooling: 10, zipf: 1.05, dtypeBytes: 2 },
  );
  assert.equal(s.histogram?.length, 17);
  assert.equal(tableShard(table({ dtype: 'fp32' })).dtypeBytes, 4);
  assert.equal('histogram' in tableShard(table()), false);
});

test('column shards split dim equally in multiples of 4 and keep every lookup', () => {
  const parts = columnShards(table(), 4);
  assert.equal(parts.length, 4);
  for (const p of parts) {
    assert.equal(p.dim, 32);
    assert.equal(p.rows, 1_000_003);
    assert.equal(p.pooling, 10);
  }
  assert.equal(parts.reduce((a, p) => a + p.dim, 0), 128);
});

test('impossible column splits give [] instead of throwing', () => {
  assert.deepEqual(columnShards(table({ dim: 12 }), 2), []); // 6 is not a multiple of 4
  assert.deepEqual(columnShards(table({ dim: 128 }), 3), []);
  assert.deepEqual(columnShards(table(), 0), []);
  assert.deepEqual(columnShards(table(), 2.5), []);
  assert.equal(canSplitColumns(24, 4), false); // 6
  assert.equal(canSplitColumns(20, 2), false); // 10
  assert.equal(canSplitColumns(24, 3), true); // 8
  assert.equal(canSplitColumns(24, 2), true); // 12
});

test('row shards partition the rows and the lookups', () => {
  const parts = rowShards(table(), 4);
  assert.equal(parts.length, 4);
  assert.deepEqual(parts.map((p) => p.rows), [250_001, 250_001, 250_001, 250_000]);
  assert.equal(parts.reduce((a, p) => a + p.rows, 0), 1_000_003);
  assert.ok(Math.abs(parts.reduce((a, p) => a + p.pooling, 0) - 10) < 1e-9);
  for (const p of parts) {
    assert.equal(p.dim, 128);
    assert.equal(p.zipf, 1.05);
  }
  // Hashed ids: rank 0 sits in row 12345 (rowBlocks.ts), so block 0 holds the
  // hottest row and gets more than a quarter of the lookups.
  assert.ok(parts[0].pooling > 2.5 * 1.08, `head block pooling ${parts[0].pooling}`);
  assert.deepEqual(parts.map((p) => p.block?.offset), [0, 250_001, 500_002, 750_003]);
  // A uniform table splits its lookups by rows.
  for (const p of rowShards(table({ zipf: 0 }), 4)) assert.ok(Math.abs(p.pooling - 2.5) < 1e-4);
  // Sorted ids: the first block holds the head.
  const sorted = rowShards(table({ ids: 'sorted' }), 4);
  assert.ok(sorted[0].pooling > sorted[1].pooling && sorted[1].pooling > sorted[3].pooling);
  assert.ok(Math.abs(sorted.reduce((a, p) => a + p.pooling, 0) - 10) < 1e-6);
});

test('impossible row splits give []', () => {
  assert.deepEqual(rowShards(table({ rows: 3 }), 4), []);
  assert.deepEqual(rowShards(table(), 0), []);
  assert.deepEqual(rowShards(table(), -1), []);
});

test('shards do not share mutable histograms with the table', () => {
  const t = table({ histogram: new Array(17).fill(1 / 17) });
  const [a, b] = rowShards(t, 2);
  a.histogram![0] = 99;
  assert.notEqual(b.histogram![0], 99);
  assert.notEqual(t.histogram![0], 99);
});
