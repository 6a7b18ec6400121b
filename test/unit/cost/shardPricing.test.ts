/**
 * How every model prices the pieces of a table: row blocks from their own
 * index statistics (the block holding the hot rows costs more), column shards
 * as narrower tables that still see every lookup, data-parallel replicas at
 * their local bags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec, TableSpec } from '../../../server/src/config/types';
import { AnalyticCostModel, shardTraffic } from '../../../server/src/cost/analytic';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { columnShards, placementShards, rowShards, tableShard } from '../../../server/src/cost/shards';
import type { ComputeCost, CostEnv, CostModel, Shard } from '../../../server/src/cost/types';

const device: DeviceSpec = { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
const env: CostEnv = { batchSize: 32768, optimizer: 'sgd', device };
const MODELS_DIR = path.resolve(__dirname, '../../../models');
const total = (c: ComputeCost) => c.fwdMs + c.bwdMs;

function table(over: Partial<TableSpec> = {}): TableSpec {
  return {
    name: 't',
    rows: 8_000_000,
    dim: 64,
    pooling: 20,
    zipf: 1.1,
    dtype: 'fp32',
    kernel: 'torch_embedding_bag',
    ids: 'hashed',
    sharding: ['table', 'row', 'column'],
    ...over,
  };
}

async function models(): Promise<Array<[string, CostModel, (s: Shard) => Shard]>> {
  const { model: learned } = await loadCostModel(device, { files: diskModelFiles, modelsDir: MODELS_DIR });
  const fb = (s: Shard): Shard => ({ ...s, kernel: 'fbgemm_tbe' });
  return [
    ['learned', learned, (s) => s],
    ['analytic', new AnalyticCostModel('H100-80GB'), (s) => s],
    ['fbgemm', new FbgemmCostModel('H100-80GB'), fb],
  ];
}

test('every model prices the row block holding the hottest rows above the others, and above the proportional split', async () => {
  const t = table();
  const blocks = rowShards(t, 8);
  // Hashed ids: rank 0 sits in row 12,345, so block 0 holds it.
  const head = 0;
  const proportional = blocks.map((b) => ({ ...b, pooling: t.pooling * (b.rows / t.rows), block: undefined }));
  for (const [name, model, kernel] of await models()) {
    const costs = await model.predict(
      blocks.map((b) => [kernel(b)]),
      env,
    );
    const others = costs.filter((_, i) => i !== head).map(total);
    // PyTorch's backward serialises on the hottest row (learned, analytic); FBGEMM's
    // does not, so there the head block costs only its extra lookups.
    const margin = name === 'fbgemm' ? 1 : 1.2;
    assert.ok(total(costs[head]) > margin * Math.max(...others), `${name}: head block ${total(costs[head])} vs others up to ${Math.max(...others)}`);
    const [prop] = await model.predict([[kernel(proportional[head])]], env);
    assert.ok(total(costs[head]) > total(prop), `${name}: head block ${total(costs[head])} vs its proportional price ${total(prop)}`);
  }
  // The analytic terms: the head block's hottest row is the table's, its lookups more than 1/8.
  const whole = shardTraffic(tableShard(t), env);
  const headTraffic = shardTraffic(blocks[head], env);
  assert.ok(Math.abs(headTraffic.hottest / whole.hottest - 1) < 1e-9);
  assert.ok(headTraffic.lookups > whole.lookups / 8);
});

test('sorted ids: the first block is the expensive one', async () => {
  const blocks = rowShards(table({ ids: 'sorted' }), 4);
  const costs = await new AnalyticCostModel('H100-80GB').predict(
    blocks.map((b) => [b]),
    env,
  );
  assert.ok(total(costs[0]) > total(costs[1]) && total(costs[1]) >= total(costs[3]));
});

test('a column shard is priced as a narrower table that sees every lookup of the table', async () => {
  const t = table({ dim: 128 });
  const parts = columnShards(t, 4);
  for (const [name, model, kernel] of await models()) {
    const [col, narrow, whole] = await model.predict([[kernel(parts[0])], [kernel(tableShard({ ...t, dim: 32 }))], [kernel(tableShard(t))]], env);
    assert.ok(Math.abs(total(col) / total(narrow) - 1) < 1e-9, `${name}: column shard ${total(col)} vs a dim-32 table ${total(narrow)}`);
    assert.ok(total(col) < total(whole), `${name}: a quarter of the width costs less than the table`);
  }
  // Same lookups, distinct rows and hottest row as the whole table: only the bytes per row shrink.
  const a = shardTraffic(parts[0], env);
  const w = shardTraffic(tableShard(t), env);
  assert.deepEqual([a.lookups, a.unique, a.hottest], [w.lookups, w.unique, w.hottest]);
  assert.ok(a.rowBytes < w.rowBytes);
});

test('a data-parallel replica is priced at its local bags by every model', async () => {
  const t = table({ rows: 10_000, pooling: 2 });
  const replicas = placementShards(t, { kind: 'data_parallel' }, { count: 8, perHost: 8, batchSize: env.batchSize });
  assert.equal(replicas[0].shard.bags, env.batchSize / 8);
  for (const [name, model, kernel] of await models()) {
    const [replica, whole, local] = await model
      .predict([[kernel(replicas[0].shard)], [kernel(tableShard(t))], [kernel(tableShard(t))]].slice(0, 2), env)
      .then(async (r) => [...r, ...(await model.predict([[kernel(tableShard(t))]], { ...env, batchSize: env.batchSize / 8 }))]);
    assert.ok(total(replica) < total(whole), `${name}: replica ${total(replica)} vs the global batch ${total(whole)}`);
    assert.ok(Math.abs(total(replica) / total(local) - 1) < 1e-6, `${name}: replica ${total(replica)} vs the table at batch/8 ${total(local)}`);
  }
});
