import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonlSets } from '../../../server/src/cost/jsonlSets';
import { device } from './fixtures';

const good = JSON.stringify({
  id: 'm1',
  batch: 65536,
  dtype: 'fp16',
  tables: [
    { name: 'a', rows: 1000, dim: 64, pooling: 2.5, alpha: 1.1, n_idx: 1, unique: 1, top1pct_share: 1 },
    { name: 'b', rows: 50, dim: 8, pooling: 1, alpha: 0 },
  ],
  fwd_ms: 0.5,
  bwd_ms: 3,
  singles: [
    { fwd_ms: 0.3, bwd_ms: 2 },
    { fwd_ms: 0.2, bwd_ms: 1 },
  ],
});

test('parses a measured multi-table line into shards, env, measurements and singles', () => {
  const r = parseJsonlSets(`${good}\n`, { device: device() });
  assert.deepEqual(r.errors, []);
  assert.equal(r.sets.length, 1);
  const s = r.sets[0];
  assert.equal(s.id, 'm1');
  assert.equal(s.line, 1);
  assert.equal(s.env.batchSize, 65536);
  assert.equal(s.env.optimizer, 'sgd');
  assert.deepEqual(s.shards[0], { table: 'a', rows: 1000, dim: 64, pooling: 2.5, zipf: 1.1, dtypeBytes: 2, kernel: 'torch_embedding_bag' });
  assert.deepEqual(s.measured, { fwdMs: 0.5, bwdMs: 3 });
  assert.deepEqual(s.singles, [
    { fwdMs: 0.3, bwdMs: 2 },
    { fwdMs: 0.2, bwdMs: 1 },
  ]);
});

test('measured fields are optional', () => {
  const r = parseJsonlSets('{"id": "x", "batch": 1024, "dtype": "fp32", "tables": [{"rows": 10, "dim": 4, "pooling": 1}]}', { device: device() });
  assert.deepEqual(r.errors, []);
  assert.equal(r.sets[0].measured, undefined);
  assert.equal(r.sets[0].shards[0].zipf, 0);
  assert.equal(r.sets[0].shards[0].dtypeBytes, 4);
});

test('bad lines are reported with their line numbers and good lines still parse', () => {
  const text = [
    good,
    '',
    '{not json',
    '{"id": "b", "batch": 0, "dtype": "fp32", "tables": [{"rows": 10, "dim": 4, "pooling": 1}]}',
    '{"id": "c", "batch": 8, "dtype": "int8", "tables": [{"rows": 10, "dim": 4, "pooling": 1}]}',
    '{"id": "d", "batch": 8, "dtype": "fp32", "tables": [{"rows": 10, "dim": 4, "pooling": 1}, {"rows": -3, "dim": 4, "pooling": 1}]}',
    '{"id": "e", "batch": 8, "dtype": "fp32", "tables": [{"rows": 10, "dim": 4, "pooling": 1, "histogram": [1, 2]}]}',
    '[1, 2]',
    good.replace('"m1"', '"m2"'),
  ].join('\n');
  const r = parseJsonlSets(text, { device: device() });
  assert.deepEqual(
    r.sets.map((s) => [s.id, s.line]),
    [
      ['m1', 1],
      ['m2', 9],
    ],
  );
  assert.deepEqual(
    r.errors.map((e) => e.line),
    [3, 4, 5, 6, 7, 8],
  );
  assert.match(r.errors[0].message, /^line 3: invalid JSON/);
  assert.match(r.errors[1].message, /^line 4: "batch" must be ≥ 1 and ≤ /);
  assert.match(r.errors[2].message, /^line 5: "dtype" must be "fp32", "fp16" or "bf16"/);
  assert.match(r.errors[3].message, /^line 6: tables\[1\]\.rows must be ≥ 1 and ≤ 1e12, not -3/);
  assert.match(r.errors[4].message, /^line 7: tables\[0\]\.histogram must be 17/);
  assert.match(r.errors[5].message, /^line 8: expected a JSON object/);
});

test('set-spec lines (shardlens measure) carry kernel, bags, row block, optimizer, device type and bf16', () => {
  const line = JSON.stringify({
    id: 'best/gpu1',
    batch: 1024,
    dtype: 'bf16',
    optimizer: 'adagrad',
    device_type: 'A100-80GB',
    tables: [
      { name: 'a', rows: 500, dim: 16, pooling: 2, alpha: 0.5, kernel: 'fbgemm_tbe', bags: 256 },
      { name: 'b', rows: 300, dim: 8, pooling: 1, alpha: 0, dtype: 'fp32', block: { offset: 300, table_rows: 600, table_pooling: 2, ids: 'sorted' } },
      { name: 'c', rows: 100, dim: 8, pooling: 1, alpha: 0, kernel: 'fbgemm_tbe_uvm_caching', cache_load_factor: 0.25 },
    ],
    fwd_ms: 1,
    bwd_ms: 2,
  });
  const r = parseJsonlSets(line, { device: device() });
  assert.deepEqual(r.errors, []);
  const [s] = r.sets;
  assert.equal(s.deviceType, 'A100-80GB');
  assert.equal(s.env.optimizer, 'adagrad');
  assert.deepEqual(
    s.shards.map((x) => [x.kernel, x.dtypeBytes, x.bags]),
    [
      ['fbgemm_tbe', 2, 256],
      ['torch_embedding_bag', 4, undefined],
      ['fbgemm_tbe_uvm_caching', 2, undefined],
    ],
  );
  assert.deepEqual(s.shards[1].block, { offset: 300, tableRows: 600, ids: 'sorted' });
  assert.equal(s.shards[2].cacheLoadFactor, 0.25);
  const bad = parseJsonlSets(
    JSON.stringify({ batch: 8, optimizer: 'lamb', tables: [{ rows: 1, dim: 4, pooling: 1 }] }) +
      '\n' +
      JSON.stringify({ batch: 8, tables: [{ rows: 1, dim: 4, pooling: 1, kernel: 'cuda_magic' }] }),
    { device: device() },
  );
  assert.match(bad.errors[0].message, /"optimizer" must be one of sgd, adagrad, rowwise_adagrad, adam/);
  assert.match(bad.errors[1].message, /tables\[0\]\.kernel must be one of fbgemm_tbe/);
});
