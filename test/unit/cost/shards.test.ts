import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlacementEntry, TableSpec } from '../../../server/src/config/types';
import { canSplitColumns, columnShards, largestShardForStorage, placementShards, rowBlockSizes, rowShards, tableShard } from '../../../server/src/cost/shards';

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
  assert.equal(
    parts.reduce((a, p) => a + p.dim, 0),
    128,
  );
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

test('row blocks follow TorchRec: ⌈R/W⌉ each, the last non-empty one the rest, then empty ones', () => {
  // calculate_shard_sizes_and_offsets' own examples (torchrec/distributed/sharding_plan.py).
  assert.deepEqual(rowBlockSizes(10, 4), [3, 3, 3, 1]);
  assert.deepEqual(rowBlockSizes(5, 4), [2, 2, 1, 0]);
  assert.deepEqual(rowBlockSizes(12, 4), [3, 3, 3, 3]);
  assert.deepEqual(rowBlockSizes(8, 3), [3, 3, 2]);
  assert.deepEqual(rowBlockSizes(3, 8), [1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(rowBlockSizes(0, 2), [0, 0]);
  assert.deepEqual(rowBlockSizes(10, 0), []);
  assert.deepEqual(rowBlockSizes(10, 2.5), []);
});

test('row shards partition the rows and the lookups, with their positions', () => {
  const parts = rowShards(table(), 4);
  assert.equal(parts.length, 4);
  assert.deepEqual(
    parts.map((p) => p.rows),
    [250_001, 250_001, 250_001, 250_000],
  );
  assert.deepEqual(
    parts.map((p) => p.block?.offset),
    [0, 250_001, 500_002, 750_003],
  );
  for (const p of parts) assert.deepEqual({ tableRows: p.block?.tableRows, ids: p.block?.ids }, { tableRows: 1_000_003, ids: 'hashed' });
  assert.equal(
    parts.reduce((a, p) => a + p.rows, 0),
    1_000_003,
  );
  assert.ok(Math.abs(parts.reduce((a, p) => a + p.pooling, 0) - 10) < 1e-9);
  for (const p of parts) {
    assert.equal(p.dim, 128);
    assert.equal(p.zipf, 1.05);
  }
  // Hashed ids: rank 0 sits in row 12345 (rowBlocks.ts), so block 0 holds the
  // hottest row and gets more than a quarter of the lookups.
  assert.ok(parts[0].pooling > 2.5 * 1.08, `head block pooling ${parts[0].pooling}`);
  assert.deepEqual(
    parts.map((p) => p.block?.offset),
    [0, 250_001, 500_002, 750_003],
  );
  // A uniform table splits its lookups by rows.
  for (const p of rowShards(table({ zipf: 0 }), 4)) assert.ok(Math.abs(p.pooling - 2.5) < 1e-4);
  // Sorted ids: the first block holds the head.
  const sorted = rowShards(table({ ids: 'sorted' }), 4);
  assert.ok(sorted[0].pooling > sorted[1].pooling && sorted[1].pooling > sorted[3].pooling);
  assert.ok(Math.abs(sorted.reduce((a, p) => a + p.pooling, 0) - 10) < 1e-6);
});

test('more row blocks than rows: the trailing blocks are empty, with no lookups', () => {
  const parts = rowShards(table({ rows: 3 }), 4);
  assert.deepEqual(
    parts.map((p) => p.rows),
    [1, 1, 1, 0],
  );
  assert.equal(parts[3].pooling, 0);
  assert.deepEqual(rowShards(table(), 0), []);
  assert.deepEqual(rowShards(table(), -1), []);
});

test('placementShards: every kind, on its GPUs', () => {
  const shape = { count: 8, perHost: 4, batchSize: 65536 };
  const t = table({ rows: 10, dim: 64 });
  const dp = placementShards(t, { kind: 'data_parallel' }, shape);
  assert.deepEqual(
    dp.map((x) => x.gpu),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  for (const x of dp) assert.deepEqual([x.shard.rows, x.shard.dim, x.shard.bags], [10, 64, 8192]);
  const row = placementShards(t, { kind: 'row', gpus: [0, 1, 2, 3, 4, 5, 6, 7] }, shape);
  assert.deepEqual(
    row.map((x) => x.shard.rows),
    [2, 2, 2, 2, 2, 0, 0, 0],
  );
  const twrw = placementShards(t, { kind: 'table_row', host: 1 }, shape);
  assert.deepEqual(
    twrw.map((x) => [x.gpu, x.shard.rows]),
    [
      [4, 3],
      [5, 3],
      [6, 3],
      [7, 1],
    ],
  );
  const cw = placementShards(t, { kind: 'table_column', gpus: [2, 3] }, shape);
  assert.deepEqual(
    cw.map((x) => [x.gpu, x.shard.dim, x.shard.rows]),
    [
      [2, 32, 10],
      [3, 32, 10],
    ],
  );
  const grid = placementShards(t, { kind: 'grid', hosts: [1, 0] }, shape);
  assert.deepEqual(
    grid.map((x) => [x.gpu, x.shard.dim, x.shard.rows]),
    [
      [4, 32, 3],
      [5, 32, 3],
      [6, 32, 3],
      [7, 32, 1],
      [0, 32, 3],
      [1, 32, 3],
      [2, 32, 3],
      [3, 32, 1],
    ],
  );
  assert.deepEqual(placementShards(table({ dim: 12 }), { kind: 'grid', hosts: [0, 1] }, shape), [], 'width 6 is not a multiple of 4');
  const one = placementShards(t, { kind: 'row', gpus: [3] }, shape);
  assert.deepEqual(
    one.map((x) => [x.gpu, x.shard.rows, x.shard.block]),
    [[3, 10, undefined]],
    'one GPU: the whole table',
  );
});

test('largestShardForStorage: the largest shard placementShards makes, and how many, for every kind', () => {
  const shape = { count: 12, perHost: 8, batchSize: 65536 };
  const entries: PlacementEntry[] = [
    { kind: 'table', gpu: 5 },
    { kind: 'data_parallel' },
    { kind: 'column', gpus: [0, 3, 7, 9] },
    { kind: 'table_column', gpus: [8, 9] },
    { kind: 'row', gpus: Array.from({ length: 12 }, (_, g) => g) },
    { kind: 'row', gpus: [4] },
    { kind: 'table_row', host: 0 },
    { kind: 'table_row', host: 1 },
    { kind: 'grid', hosts: [0, 1] },
    { kind: 'grid', hosts: [1, 0] },
    { kind: 'column', gpus: [0, 1, 2] },
  ];
  for (const t of [table(), table({ rows: 10 }), table({ rows: 5, dim: 64 }), table({ kernel: 'fbgemm_tbe_uvm_caching', cacheLoadFactor: 0.3 })]) {
    for (const e of entries) {
      const all = placementShards(t, e, shape);
      const fast = largestShardForStorage(t, e, shape);
      const where = `${t.rows} rows, ${JSON.stringify(e)}`;
      if (all.length === 0) {
        assert.equal(fast, undefined, where);
        continue;
      }
      assert.ok(fast, where);
      assert.equal(fast.count, all.length, where);
      const size = (s: { rows: number; dim: number }) => s.rows * s.dim;
      assert.equal(size(fast.shard), Math.max(...all.map((x) => size(x.shard))), where);
      assert.deepEqual(
        [fast.shard.dtypeBytes, fast.shard.kernel, fast.shard.cacheLoadFactor, fast.shard.bags],
        [all[0].shard.dtypeBytes, all[0].shard.kernel, all[0].shard.cacheLoadFactor, all[0].shard.bags],
        where,
      );
    }
  }
});

test('shards do not share mutable histograms with the table', () => {
  const t = table({ histogram: new Array(17).fill(1 / 17) });
  const [a, b] = rowShards(t, 2);
  a.histogram![0] = 99;
  assert.notEqual(b.histogram![0], 99);
  assert.notEqual(t.histogram![0], 99);
});
