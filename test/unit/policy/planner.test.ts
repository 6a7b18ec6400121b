/**
 * The 'policy' strategy through the planner's entry point (planConfig), at
 * the benchmark's DLRM scale (856 tables on 128 GPUs: sizes the policy never
 * saw in training, 10–100 tables on 2–8 GPUs): a feasible, complete plan.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { planConfig } from '../../../server/src/plan/planner';
import { makeTask } from '../../bench/tasks';

test('planConfig "policy" plans 856 tables on 128 GPUs feasibly, every table placed', async () => {
  const config = makeTask({ name: 'dlrm-856/128', tables: 856, gpus: 128, seed: 0, size: 'large' });
  config.tables[5].pin = 77;
  const model = new AnalyticCostModel('H100-80GB');
  const plan = await planConfig(config, 'policy', model);
  assert.equal(plan.strategy, 'policy');
  assert.ok(plan.feasible, plan.reasons.join('; '));
  assert.equal(plan.placement.size, 856);
  assert.deepEqual(plan.placement.get(config.tables[5].name), { kind: 'table', gpu: 77 });
  assert.equal(plan.gpus.length, 128);
  for (const g of plan.gpus) assert.ok(g.memoryBytes <= g.capacityBytes, `GPU ${g.gpu} over memory`);
  assert.ok(plan.maxMs > 0 && plan.maxMs >= plan.meanMs);
});

test('planConfig "policy" honours pins and allowed kinds on a small config', async () => {
  const config = makeTask({ name: 'dlrm-20/4', tables: 20, gpus: 4, seed: 1, size: 'small' });
  config.tables[0].pin = 2;
  config.tables[1].pin = 2;
  config.tables.forEach((t) => {
    t.sharding = ['table'];
  });
  const model = new AnalyticCostModel('H100-80GB');
  const plan = await planConfig(config, 'policy', model);
  assert.ok(plan.feasible, plan.reasons.join('; '));
  for (const t of config.tables) assert.equal(plan.placement.get(t.name)?.kind, 'table');
  assert.deepEqual(plan.placement.get(config.tables[0].name), { kind: 'table', gpu: 2 });
  assert.deepEqual(plan.placement.get(config.tables[1].name), { kind: 'table', gpu: 2 });
});
