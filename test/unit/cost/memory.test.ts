/**
 * Memory as TorchRec's planner counts it, against hand-computed bytes, and
 * the validator's rules that use it (dense_bytes, the ids reservation, UVM
 * host memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { DEFAULT_KERNEL, type TableSpec } from '../../../server/src/config/types';
import { ioBytes, kjtReservationBytes, memoryBudget, shardStorage, tensorStorage } from '../../../server/src/cost/memory';
import { replicaShard, rowShards, tableShard } from '../../../server/src/cost/shards';

const ctx = { optimizer: 'rowwise_adagrad' as const, batchSize: 8192, count: 8, perHost: 4 };
function table(over: Partial<TableSpec> = {}): TableSpec {
  return { name: 't', rows: 1000, dim: 64, pooling: 10, zipf: 0, dtype: 'fp16', kernel: DEFAULT_KERNEL, ids: 'hashed', sharding: [], ...over };
}

test('a table-wise shard: weights, fp32 row-wise state, ids of the global batch in, its pooled rows out', () => {
  const s = tableShard(table());
  // 1000·64·2 + 1000·4 = 132,000 B; input 8·10·8192 = 655,360 B; output 8192·64·2 = 1,048,576 B.
  assert.deepEqual(shardStorage(s, 'table', 10, ctx), { hbm: 132_000 + 655_360 + 1_048_576, host: 0 });
});

test('row blocks take the local ids and the global output; an empty block takes nothing; replicas the local batch', () => {
  const [first] = rowShards(table(), 8);
  // 125 rows: 16,000 + 500 B; input 8·10·1024 = 81,920 B; output 8192·128 B.
  assert.equal(shardStorage(first, 'row', 10, ctx).hbm, 16_000 + 500 + 81_920 + 1_048_576);
  assert.equal(ioBytes(rowShards(table({ rows: 3 }), 8)[7], 'row', 10, ctx), 0);
  // table_row: ids of the global batch over the host's 4 GPUs.
  assert.equal(ioBytes(first, 'table_row', 10, ctx), 163_840 + 1_048_576);
  const r = replicaShard(table(), 1024);
  assert.equal(shardStorage(r, 'data_parallel', 10, ctx).hbm, 132_000 + 81_920 + 1024 * 128);
});

test('UVM caching: the cache and its metadata in HBM, weights and state in host memory', () => {
  const s = { ...tableShard(table({ kernel: 'fbgemm_tbe_uvm_caching' })), cacheLoadFactor: 0.25 };
  // tensor 132,000 B; cache 0.25 × that = 33,000 B; metadata 1000 · (4 + 16 · 0.25) = 8,000 B.
  assert.deepEqual(tensorStorage(s, 'rowwise_adagrad'), { hbm: 33_000 + 8_000, host: 132_000 });
});

test('the space for shards: HBM × (1 − reserve) − dense_bytes − 20 × 8 B × Σ pooling × local bags', () => {
  const devices = { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
  const tables = [table({ pooling: 10 }), table({ name: 'u', pooling: 2.5 })];
  assert.equal(kjtReservationBytes(tables, 8192, 8), 20 * 8 * 12.5 * 1024);
  const b = memoryBudget({ devices, tables, batchSize: 8192, denseBytes: 3e9 });
  assert.equal(b.shardBytes, Math.floor(devices.memoryBytes * 0.85) - 3e9 - 2_048_000);
  assert.equal(b.hostBytes, devices.hostMemoryBytes);
});

const CONFIG = (extra: string) => `version: 1
batch_size: 65536
${extra}devices:
  type: H100-80GB
  count: 2
tables:
  - name: a
    rows: 1000
    dim: 16
    pooling: 1
`;

test('dense_bytes is read, validated and taken off the space for tables (SL052 when nothing is left)', () => {
  const ok = loadConfig('/w/a.shard.yaml', CONFIG('dense_bytes: 10_000_000_000\n'), { readFile: () => undefined });
  assert.equal(ok.config?.denseBytes, 1e10);
  assert.deepEqual(
    ok.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const full = loadConfig('/w/a.shard.yaml', CONFIG('dense_bytes: 80_000_000_000\n'), { readFile: () => undefined });
  const d = full.diagnostics.find((x) => x.code === 'SL052');
  assert.ok(d, JSON.stringify(full.diagnostics.map((x) => x.code)));
  // 80e9 B / 2^30 = 74.51 GiB.
  assert.match(d.message, /dense_bytes 74\.51 GiB/);
  const bad = loadConfig('/w/a.shard.yaml', CONFIG('dense_bytes: -1\n'), { readFile: () => undefined });
  assert.ok(bad.diagnostics.some((x) => x.code === 'SL006' && x.range.start.line === 2));
});

test('SL053: a GPU whose UVM-cached tables need more host memory than it has, on the GPU of the written placement', () => {
  // 100M rows × 64 × 4 B = 25.6e9 B = 23.84 GiB of weights (sgd) in host memory; the GPU has 10e9 B = 9.31 GiB of it.
  const text = `version: 1
batch_size: 8192
devices:
  type: H100-80GB
  count: 2
  host_memory_bytes: 10_000_000_000
tables:
  - name: big
    rows: 100_000_000
    dim: 64
    pooling: 1
    kernel: fbgemm_tbe_uvm_caching
  - name: small
    rows: 1000
    dim: 16
    pooling: 1
placement:
  big: 1
  small: 0
`;
  const loaded = loadConfig('/w/a.shard.yaml', text, { readFile: () => undefined });
  const d = loaded.diagnostics.filter((x) => x.code === 'SL053');
  assert.equal(d.length, 1, JSON.stringify(loaded.diagnostics.map((x) => `${x.code} ${x.message}`)));
  assert.match(d[0].message, /GPU 1 needs 23\.84 GiB of host memory for UVM-cached tables but has 9\.31 GiB/);
  assert.equal(d[0].range.start.line, 17, 'on the entry that put it there (0-based line of big: 1)');
  // The table itself cannot fit any GPU's host memory either: SL036 says so.
  assert.ok(loaded.diagnostics.some((x) => x.code === 'SL036' && /host memory/.test(x.message)));
});
