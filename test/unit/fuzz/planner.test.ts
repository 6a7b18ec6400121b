/**
 * Fuzzing costs and planners: for any usable config (generated, or
 * a mutant the validator still accepts), every strategy either returns a plan
 * that an independent checker finds feasible (memory, pins, kinds, GPUs) or
 * refuses with reasons, and never throws; costs are finite and non-negative.
 */
import fc from 'fast-check';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ShardConfig } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { tableShard } from '../../../server/src/cost/shards';
import { memoizedCompute } from '../../../server/src/engine/setCosts';
import { assessPlacement, evaluatePlacement } from '../../../server/src/plan/evaluate';
import { planConfig } from '../../../server/src/plan/planner';
import { STRATEGIES, type Strategy } from '../../../server/src/plan/types';
import { checkLoad } from '../../fuzz/checkLoad';
import { configTextArb } from '../../fuzz/configGen';
import { planProblems } from '../../fuzz/invariants';
import { mutateAll, mutationArb } from '../../fuzz/mutate';
import { property, runs } from '../../fuzz/runs';

const model = new AnalyticCostModel();
/** Soft budget per plan, ms: keeps search strategies short; feasibility must hold whatever they reach. */
const BUDGET_MS = 200;

/** Usable configs: generated valid ones, and mutants the validator still turns into a config. */
const usableConfigArb: fc.Arbitrary<{ text: string; config: ShardConfig }> = fc
  .tuple(configTextArb, fc.array(mutationArb, { maxLength: 3 }))
  .map(([{ text }, ms]) => {
    const mutated = mutateAll(text, ms);
    const c = checkLoad(mutated).loaded?.config ?? checkLoad(text).loaded?.config;
    return { text: mutated, config: c! };
  })
  .filter((x) => x.config !== undefined);

async function planOk(config: ShardConfig, strategy: Strategy): Promise<void> {
  let plan;
  try {
    plan = await planConfig(config, strategy, model, { seed: 1, timeBudgetMs: BUDGET_MS });
  } catch (err) {
    assert.fail(`planConfig(${strategy}) threw: ${err instanceof Error ? err.stack : String(err)}`);
  }
  assert.equal(typeof plan.feasible, 'boolean');
  if (!plan.feasible) {
    assert.ok(plan.reasons.length > 0, `${strategy}: refused without a reason`);
    // The planner catches its own exceptions as "planning failed: …": that is a bug, not a refusal.
    const internal = plan.reasons.filter((r) => /planning failed|Cannot read|undefined|is not a function|NaN/.test(r));
    assert.deepEqual(internal, [], `${strategy}: internal error reported as a refusal`);
  }
  assert.deepEqual(planProblems(config, plan), [], `${strategy} plan ${JSON.stringify([...plan.placement])} reasons ${JSON.stringify(plan.reasons)}`);
}

describe('fuzz: costs and planners', () => {
  it('costs of every usable table are finite and non-negative', async () => {
    await property(
      'table costs',
      fc.asyncProperty(usableConfigArb, async ({ config }) => {
        const env = { batchSize: config.batchSize, optimizer: config.optimizer, device: config.devices };
        const sets = config.tables.map((t) => [tableShard(t)]);
        sets.push(config.tables.map(tableShard)); // all tables fused on one GPU
        const costs = await model.predict(sets, env);
        assert.equal(costs.length, sets.length);
        for (const c of costs) {
          assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs >= 0 && Number.isFinite(c.bwdMs) && c.bwdMs >= 0, JSON.stringify(c));
        }
      }),
      runs(150),
    );
  });

  it('a written placement is scored with finite numbers, and feasible ones check out', async () => {
    await property(
      'evaluate written placement',
      fc.asyncProperty(usableConfigArb, async ({ config }) => {
        if (!config.placement) return;
        const result = await evaluatePlacement(config, config.placement, model);
        assert.deepEqual(planProblems(config, result), []);
      }),
      runs(150),
    );
  });

  it('memoised per-GPU costs (engine/setCosts) equal a fresh evaluatePlacement, before and after an edit', async () => {
    const memoModel = new AnalyticCostModel();
    await property(
      'memoised set costs',
      fc.asyncProperty(usableConfigArb, fc.nat(), async ({ config }, k) => {
        if (!config.placement) return;
        const fresh = await evaluatePlacement(config, config.placement, memoModel);
        const memo = await assessPlacement(config, config.placement, memoModel, 'best', memoizedCompute(memoModel));
        assert.deepEqual(memo.gpus, fresh.gpus);
        // One table changes (an edit): its GPU's numbers change, the memo must not serve the old ones.
        const t = config.tables[k % config.tables.length];
        const edited = { ...config, tables: config.tables.map((x) => (x === t ? { ...x, pooling: x.pooling * 2 + 1 } : x)) };
        const fresh2 = await evaluatePlacement(edited, config.placement, memoModel);
        const memo2 = await assessPlacement(edited, config.placement, memoModel, 'best', memoizedCompute(memoModel));
        assert.deepEqual(memo2.gpus, fresh2.gpus);
      }),
      runs(100),
    );
  });

  for (const strategy of STRATEGIES) {
    // The search strategies cost more per case; they get fewer cases.
    const heavy = ['best', 'search', 'column', 'policy'].includes(strategy);
    it(`${strategy}: feasible (checked independently) or refused with reasons, never throws`, async () => {
      await property(
        `plan ${strategy}`,
        fc.asyncProperty(usableConfigArb, fc.boolean(), async ({ config }, fromStart) => {
          // With a start placement (what Replan does) and without.
          const c = fromStart ? config : { ...config, placement: undefined };
          await planOk(c, strategy);
          if (fromStart && config.placement) {
            const plan = await planConfig(config, strategy, model, { seed: 2, start: config.placement, timeBudgetMs: BUDGET_MS });
            assert.ok(plan.feasible || plan.reasons.length > 0);
            assert.deepEqual(planProblems(config, plan), [], `${strategy} from start`);
            assert.deepEqual(
              plan.reasons.filter((r) => /planning failed/.test(r)),
              [],
              `${strategy} from start: ${plan.reasons}`,
            );
          }
        }),
        runs(heavy ? 15 : 40, heavy ? 0.3 : 1),
      );
    });
  }

  it('hostile ShardConfig objects (bypassing the validator) are refused, not thrown', async () => {
    const base = checkLoad('version: 1\nbatch_size: 512\ndevices: {type: H100-80GB, count: 2}\ntables:\n  - {name: a, rows: 10, dim: 8, pooling: 1}\n').loaded!.config!;
    const hostile: ShardConfig[] = [
      { ...base, devices: { ...base.devices, count: 0 } },
      { ...base, devices: { ...base.devices, count: NaN } },
      { ...base, batchSize: -1 },
      { ...base, tables: [] },
      { ...base, tables: [{ ...base.tables[0], rows: 0 }] },
      { ...base, tables: [{ ...base.tables[0], dim: 0 }] },
      { ...base, tables: [{ ...base.tables[0], rows: Number.MAX_SAFE_INTEGER }] },
      { ...base, tables: [{ ...base.tables[0], pin: 99 }] },
      { ...base, tables: [{ ...base.tables[0], sharding: [] }] },
      { ...base, tables: [base.tables[0], base.tables[0]] },
      { ...base, placement: new Map([['ghost', { kind: 'table', gpu: 7 }]]) },
    ];
    for (const config of hostile) {
      for (const strategy of ['greedy', 'best', 'round-robin'] as const) {
        const plan = await planConfig(config, strategy, model, { timeBudgetMs: BUDGET_MS, start: config.placement });
        assert.ok(plan.feasible || plan.reasons.length > 0, `${strategy} on ${JSON.stringify(config.tables)}`);
        assert.deepEqual(planProblems(config, plan), []);
      }
    }
  });
});
