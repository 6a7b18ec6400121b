/**
 * The TypeScript policy reproduces the PyTorch policy: same features, same
 * decision order, same greedy roll-out (placement for placement) on the
 * exported fixture tasks under an additive cost (a test double of the cost
 * model that sums the fixture's single-table costs, as export.py's simulator).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shardMemoryBytes } from '../../../server/src/cost/memory';
import { PlanControl } from '../../../server/src/plan/control';
import { unplacedShards } from '../../../server/src/plan/placementOf';
import { policyPlace, shippedPolicy } from '../../../server/src/plan/policy';
import { placementOrder, shardFeatures, taskScales } from '../../../server/src/plan/policyFeatures';
import { additiveModel, baseState, fixtureConfig, policyFixtures, simulatorMemory } from './fixtures';

function policy() {
  const p = shippedPolicy();
  assert.ok(p.ok, p.ok ? '' : p.error);
  return p.policy;
}

test('policy features and order equal the Python ones on the fixture tasks', () => {
  const fx = policyFixtures();
  assert.ok(fx.rollouts.length >= 4);
  for (const [k, r] of fx.rollouts.entries()) {
    const config = fixtureConfig(r);
    const costs = r.tables.map((t) => t.cost_ms);
    const dimBytes = r.tables.map((t) => t.dim * t.dtype_bytes);
    const scales = taskScales(costs, dimBytes, r.gpus);
    config.tables.forEach((t, i) => {
      const mem = shardMemoryBytes(t.rows, t.dim, r.tables[i].dtype_bytes, r.optimizer);
      const shard = { table: t.name, rows: t.rows, dim: t.dim, pooling: t.pooling, zipf: t.zipf, dtypeBytes: r.tables[i].dtype_bytes, kernel: t.kernel };
      const x = shardFeatures(shard, costs[i], mem, r.capacity_bytes, scales);
      x.forEach((v, j) => assert.ok(Math.abs(v - r.features[i][j]) <= 1e-5 * Math.max(1, Math.abs(v)), `task ${k} table ${i} feature ${j}: ${v} vs ${r.features[i][j]}`));
    });
    const order = placementOrder(
      costs.map((_, i) => i),
      costs,
      (i) => r.tables[i].pin !== null,
    );
    assert.deepEqual(order, r.order, `task ${k} order`);
  }
});

test('the TS roll-out places every fixture table where the PyTorch roll-out did', async () => {
  const fx = policyFixtures();
  const net = policy();
  let compared = 0;
  for (const [k, r] of fx.rollouts.entries()) {
    if (r.overflow) continue; // PyTorch then ignores memory; the planner leaves it to makeRoom instead.
    const config = fixtureConfig(r);
    const model = additiveModel((name) => r.tables[Number(name.slice(1))].cost_ms);
    const { state } = baseState(config, model, simulatorMemory);
    const solo = Float64Array.from(r.tables.map((t) => t.cost_ms));
    const left = await policyPlace(state, unplacedShards(state), solo, new PlanControl(), net);
    assert.deepEqual(left, []);
    const got = config.tables.map((_, t) => state.gpuOfShard(state.layoutOf[t]!.shards[0]));
    assert.deepEqual(got, r.gpu_of_table, `task ${k}`);
    compared++;
  }
  assert.ok(compared >= 4, `compared ${compared} roll-outs`);
});
