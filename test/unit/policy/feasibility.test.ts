/**
 * Plans from the policy strategy respect memory, pins and allowed sharding on
 * random tasks (seeded), including table and GPU counts it was not trained on
 * (trained on 10–100 tables, 2–8 GPUs). Scored independently with the
 * planner's evaluatePlacement and the analytic cost model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_KERNEL, type ShardConfig } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { tableMemoryBytes } from '../../../server/src/cost/memory';
import { roundRobinPlace } from '../../../server/src/plan/baselines';
import { PlanControl } from '../../../server/src/plan/control';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { activeShards, placementOf, unplacedShards } from '../../../server/src/plan/placementOf';
import { policySearch } from '../../../server/src/plan/policy';
import { randInt, seededRng } from '../../../server/src/plan/rng';
import { h100, makeTable } from '../../bench/tasks';
import { baseState } from './fixtures';

/** A task whose tables take `fill` of the cluster's usable memory, with a few pins. */
function randomTask(seed: number, tables: number, gpus: number, fill: number): ShardConfig {
  const rng = seededRng(seed);
  const list = Array.from({ length: tables }, (_, i) => makeTable(rng, `t${i}`));
  const config: ShardConfig = {
    version: 1,
    batchSize: 65536,
    dtype: 'fp16',
    optimizer: 'rowwise_adagrad',
    kernel: DEFAULT_KERNEL,
    denseBytes: 0,
    devices: h100(gpus),
    tables: list,
  };
  const total = list.reduce((a, t) => a + tableMemoryBytes(t, config.optimizer), 0);
  const biggest = Math.max(...list.map((t) => tableMemoryBytes(t, config.optimizer)));
  // Usable = memory × (1 − reserve): size the GPU so the task fills `fill` of the cluster, every table fits one GPU.
  const usable = Math.max(total / (gpus * fill), biggest * 1.5);
  config.devices = { ...config.devices, memoryBytes: Math.ceil(usable / (1 - config.devices.reserve)) };
  for (let k = 0; k < Math.max(1, Math.floor(tables / 25)); k++) {
    const t = list[randInt(rng, tables)];
    t.pin = randInt(rng, gpus);
    t.sharding = ['table'];
  }
  list
    .filter((_, i) => i % 7 === 3 && list[i].pin === undefined)
    .forEach((t) => {
      t.sharding = ['table'];
    });
  return config;
}

async function planPolicy(config: ShardConfig, model: AnalyticCostModel) {
  const { state, reasons } = baseState(config, model);
  assert.deepEqual(reasons, []);
  // The bare roll-out (no local search): what the policy itself decides.
  const planned = await policySearch(state, new PlanControl(), { refine: false });
  return { planned, result: await evaluatePlacement(config, placementOf(planned), model, 'policy') };
}

function assertConstraints(config: ShardConfig, placement: ReturnType<typeof placementOf>, capacity: number, usedBytes: ArrayLike<number>): void {
  for (const t of config.tables) {
    const e = placement.get(t.name);
    assert.ok(e, `table ${t.name} is placed`);
    assert.ok(t.sharding.includes(e.kind), `table ${t.name} placed ${e.kind}-wise, allowed ${t.sharding.join(',')}`);
    if (t.pin !== undefined) assert.deepEqual(e, { kind: 'table', gpu: t.pin }, `table ${t.name} stays on its pin`);
  }
  for (let g = 0; g < usedBytes.length; g++) assert.ok(usedBytes[g] <= capacity, `GPU ${g} uses ${usedBytes[g]} of ${capacity} bytes`);
}

test('policy plans are feasible on random tasks with memory pressure and pins (20 seeds)', async () => {
  const model = new AnalyticCostModel('H100-80GB');
  for (let seed = 1; seed <= 20; seed++) {
    const rng = seededRng(seed * 7919);
    const tables = 10 + randInt(rng, 91);
    const gpus = 2 + randInt(rng, 7);
    const fill = 0.3 + 0.5 * rng();
    const config = randomTask(seed, tables, gpus, fill);
    const { planned, result } = await planPolicy(config, model);
    assert.deepEqual(unplacedShards(planned), [], `seed ${seed}: all shards placed`);
    assertConstraints(config, result.placement, planned.cat.capacity, planned.mem);
    assert.ok(result.feasible, `seed ${seed}: ${result.reasons.join('; ')}`);
    assert.ok(Number.isFinite(result.maxMs) && result.maxMs > 0);
  }
});

test('generalises: 300 tables on 32 GPUs (unseen sizes) gives a feasible plan better than round-robin', async () => {
  const model = new AnalyticCostModel('H100-80GB');
  const config = randomTask(4242, 300, 32, 0.5);
  const { planned, result } = await planPolicy(config, model);
  assert.deepEqual(unplacedShards(planned), []);
  assertConstraints(config, result.placement, planned.cat.capacity, planned.mem);
  assert.ok(result.feasible, result.reasons.join('; '));

  const { state: rr } = baseState(config, model);
  await roundRobinPlace(rr, activeShards(rr), new PlanControl());
  const rrResult = await evaluatePlacement(config, placementOf(rr), model, 'round-robin');
  assert.ok(result.maxMs < rrResult.maxMs, `policy max ${result.maxMs} ms vs round-robin ${rrResult.maxMs} ms`);
});
