/**
 * Fuzzing the move budget (plan/moveBudget.ts): for any usable config with a
 * written placement (generated ones are often incomplete, over memory, or name
 * GPUs that do not exist; mutants the validator still accepts) and any budget
 * N, the budgeted plan never throws, never changes more than N entries (counted
 * here by the text of each entry), is feasible by the independent checker or
 * says why, and with too few moves for feasibility leaves the placement alone.
 */
import fc from 'fast-check';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ShardConfig } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { planWithMoveBudget } from '../../../server/src/plan/moveBudget';
import { checkLoad } from '../../fuzz/checkLoad';
import { configTextArb } from '../../fuzz/configGen';
import { planProblems } from '../../fuzz/invariants';
import { mutateAll, mutationArb } from '../../fuzz/mutate';
import { property, runs } from '../../fuzz/runs';
import { changedEntries } from '../plan/fixtures';

const model = new AnalyticCostModel();
/** Soft limit per call, ms: the budget must hold whatever the searches reach. */
const BUDGET_MS = 200;

const writtenConfigArb: fc.Arbitrary<ShardConfig> = fc
  .tuple(configTextArb, fc.array(mutationArb, { maxLength: 2 }))
  .map(([{ text }, ms]) => checkLoad(mutateAll(text, ms)).loaded?.config ?? checkLoad(text).loaded?.config)
  .filter((c): c is ShardConfig => c !== undefined && !!c.placement && c.placement.size > 0);

describe('fuzz: the move budget', () => {
  it('never more than N entries change; feasible (checked independently) or says why; never throws', async () => {
    await property(
      'move budget',
      fc.asyncProperty(writtenConfigArb, fc.integer({ min: 0, max: 6 }), async (config, n) => {
        let r;
        try {
          r = await planWithMoveBudget(config, model, { maxMoves: n, strategy: 'greedy', seed: 1, timeBudgetMs: BUDGET_MS });
        } catch (err) {
          assert.fail(`planWithMoveBudget threw: ${err instanceof Error ? err.stack : String(err)}`);
        }
        const written = config.placement!;
        assert.ok(changedEntries(written, r.plan.placement) <= n, `N=${n}: ${changedEntries(written, r.plan.placement)} changed`);
        assert.equal(r.moves.length, changedEntries(written, r.plan.placement));
        assert.deepEqual(
          r.plan.reasons.filter((x) => /planning failed/.test(x)),
          [],
          r.plan.reasons.join('; '),
        );
        if (r.tooFewMoves) {
          assert.ok(r.requiredMoves > n);
          assert.deepEqual([...r.plan.placement], [...written]);
          assert.equal(r.plan.feasible, false);
        }
        if (!r.plan.feasible) assert.ok(r.plan.reasons.length > 0, 'infeasible without a reason');
        assert.deepEqual(planProblems(config, r.plan), []);
      }),
      runs(25, 0.3),
    );
  });
});
