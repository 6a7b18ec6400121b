/**
 * Time budgets and memory bounds of the planners, without timing thresholds:
 * a budget that is spent before planning starts still gives a plan (feasible,
 * or infeasible with reasons) and says the budget cut it short; the planner's
 * state is sized by shards, GPUs and tables, never tables × GPUs; TorchRec's
 * options hold runs, not a shard per rank.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { Catalog } from '../../../server/src/plan/catalog';
import { PlanControl } from '../../../server/src/plan/control';
import { greedyOrder, greedyPlace, soloCosts } from '../../../server/src/plan/greedy';
import { initialLayouts } from '../../../server/src/plan/layouts';
import { quickFill } from '../../../server/src/plan/leastLoaded';
import { unplacedFree } from '../../../server/src/plan/placementOf';
import { baseState, planConfig } from '../../../server/src/plan/planner';
import { enumerateOptions, rowBlockRuns } from '../../../server/src/plan/torchrec/options';
import { STRATEGIES, type Strategy } from '../../../server/src/plan/types';
import { rowBlockSizes } from '../../../server/src/cost/shards';
import { makeTask } from '../../bench/tasks';
import { assertValidPlan } from './fixtures';

const model = new AnalyticCostModel();
/** Spent before the planner looks at the clock (a positive budget: 0 means none). */
const EXPIRED_MS = 1e-6;
const NOTE = /^stopped at the time budget after \d+\.\d+ s/;
// Strategies whose passes poll the clock and cut something short at 300 shards.
const CUT: ReadonlySet<Strategy> = new Set(['random', 'round-robin', 'greedy', 'search', 'column', 'policy', 'best']);

describe('an already-expired time budget', () => {
  // 300 tables: every polled pass (every 64 or 256 shards) reaches its check.
  const cfg = makeTask({ name: 'budget', tables: 300, gpus: 8, seed: 4, size: 'medium' });
  for (const strategy of STRATEGIES) {
    it(`${strategy}: a feasible plan, or reasons, and the budget note when it cut anything`, async () => {
      const plan = await planConfig(cfg, strategy, model, { seed: 1, timeBudgetMs: EXPIRED_MS });
      assert.ok(plan.feasible || plan.reasons.length > 0, `${strategy}: neither feasible nor reasoned`);
      if (plan.feasible) assertValidPlan(cfg, plan);
      const notes = plan.notes ?? [];
      if (CUT.has(strategy)) {
        assert.equal(plan.feasible, true, plan.reasons.join('; '));
        assert.equal(notes.length, 1, `${strategy} has no budget note`);
        assert.match(notes[0], NOTE);
        assert.match(notes[0], /best plan found by then/);
      }
      // TorchRec's planner: its first proposal, or a reason that the budget stopped it.
      if (strategy === 'torchrec' && plan.placement.size > 0) assert.match(notes[0] ?? '', NOTE);
      if (strategy === 'torchrec' && plan.placement.size === 0) assert.match(plan.reasons.join(' '), /time budget/);
      for (const n of notes) assert.match(n, NOTE, `only budget notes here: ${n}`);
    });
  }

  it('the greedy cut short places the rest by least-loaded fill and says how many', async () => {
    const plan = await planConfig(cfg, 'greedy', model, { timeBudgetMs: EXPIRED_MS });
    assert.match(plan.notes![0], /in the greedy placement/);
    const m = /; ([\d,]+) of ([\d,]+) shards placed by least-loaded fill/.exec(plan.notes![0]);
    assert.ok(m, plan.notes![0]);
    const [rest, of] = [Number(m[1].replace(/,/g, '')), Number(m[2].replace(/,/g, ''))];
    assert.ok(rest > 0 && rest < of, `${rest} of ${of}`);
  });

  it('without a budget nothing is noted', async () => {
    const plan = await planConfig(makeTask({ name: 'free', tables: 30, gpus: 4, seed: 2, size: 'small' }), 'best', model, { seed: 1 });
    assert.equal(plan.notes, undefined);
  });

  it('a budget note does not make a plan infeasible: reasons stay about constraints', async () => {
    const plan = await planConfig(cfg, 'search', model, { timeBudgetMs: EXPIRED_MS });
    assert.deepEqual(plan.reasons, []);
    assert.equal(plan.feasible, true);
  });
});

describe('PlanControl', () => {
  it('names the first phase it cut and what was finished the cheap way', () => {
    const ctl = new PlanControl(undefined, EXPIRED_MS);
    assert.equal(ctl.budgetNote(), undefined);
    assert.equal(ctl.outOfTime('local search'), true);
    assert.equal(ctl.outOfTime('the layout search'), true);
    ctl.finishedCheaply('3 of 9 shards placed by least-loaded fill');
    assert.match(ctl.budgetNote()!, /in local search .*3 of 9 shards placed by least-loaded fill: this is the best plan found by then/);
  });
  it('without a budget it is never out of time, and affords anything', () => {
    const ctl = new PlanControl();
    assert.equal(ctl.outOfTime('x'), false);
    assert.equal(ctl.cannotAfford(1e12, 'x'), false);
    assert.equal(ctl.budgetNote(), undefined);
  });
  it('reserve() moves the deadline for optional phases earlier, never later', () => {
    const ctl = new PlanControl(undefined, 60_000);
    assert.equal(ctl.outOfTime(), false);
    ctl.reserve(59_999.999);
    assert.equal(ctl.outOfTime('local search'), true);
    ctl.reserve(1);
    assert.equal(ctl.outOfTime(), true);
  });
});

describe('memory sized by shards, not tables × GPUs', () => {
  /** Entries of every structure of a base state, after placing every shard. */
  async function sizes(tables: number, gpus: number): Promise<{ entries: Record<string, number>; shards: number; placed: number }> {
    const cfg = makeTask({ name: 'mem', tables, gpus, seed: 3, size: 'large' });
    // Table-wise and column only: no replicas or row blocks, whose entries are one per rank by nature.
    for (const t of cfg.tables) t.sharding = ['table', 'column'];
    const cat = new Catalog(cfg);
    const init = initialLayouts(cat);
    const state = baseState(cat, model.prepare(cat.shards, cat.env), init.layouts);
    const solo = await soloCosts(state);
    await greedyPlace(state, greedyOrder(state, unplacedFree(state), solo), new PlanControl());
    let placed = 0;
    for (const m of state.members) placed += m.length;
    return { entries: state.allocationSizes(), shards: cat.shards.length, placed };
  }

  it('every structure of the state is O(shards + tables + GPUs): 8× the GPUs adds per-GPU entries only', async () => {
    const small = await sizes(200, 16);
    const big = await sizes(200, 128);
    for (const [name, n] of Object.entries(big.entries)) {
      // Bound: a constant × (shards + tables + GPUs); tables × GPUs would be 25,600 here.
      const bound = 16 * (big.shards + 200 + 128);
      assert.ok(n <= bound, `${name}: ${n} entries > ${bound} (tables × GPUs = ${200 * 128})`);
    }
    // What grows with the GPUs is the per-GPU arrays, by the GPU count.
    for (const name of ['sibHead', 'sibNext', 'sibGpu', 'lockHost', 'placedFree', 'layoutOf', 'hostsOf', 'gpuOf', 'members', 'free']) {
      assert.ok(big.entries[name] <= 2 * Math.max(small.entries[name], big.shards), `${name}: ${small.entries[name]} → ${big.entries[name]}`);
    }
    assert.equal(big.entries.perGpu, (small.entries.perGpu / 16) * 128);
    assert.equal(big.entries.members, big.placed);
    // The sibling lists: one head per table, one link per catalog shard.
    assert.equal(big.entries.sibHead, 200);
    assert.ok(big.entries.sibNext <= 2 * big.shards);
  });

  it('the one-shard-of-a-table-per-GPU rule still holds (column shards of a table never share a GPU)', async () => {
    const cfg = makeTask({ name: 'cols', tables: 40, gpus: 8, seed: 1, size: 'small' });
    const cat = new Catalog(cfg);
    const init = initialLayouts(cat);
    const layouts = init.layouts.slice();
    // Cut the widest tables in 4 column shards.
    const wide = cfg.tables
      .map((t, i) => [t.dim, i] as const)
      .filter(([d]) => d >= 64)
      .slice(0, 10)
      .map(([, i]) => i);
    for (const t of wide) layouts[t] = cat.layout(t, 'column', 4);
    const state = baseState(cat, model.prepare(cat.shards, cat.env), layouts);
    await soloCosts(state);
    const order = unplacedFree(state);
    quickFill(state, order);
    for (const t of wide) {
      const gpus = layouts[t]!.shards.map((s) => state.gpuOfShard(s));
      assert.equal(new Set(gpus).size, 4, `table ${t}: ${gpus}`);
      assert.ok(gpus.every((g) => g >= 0));
      // And a sibling's GPU is refused while another GPU is allowed.
      assert.equal(state.allowedOn(gpus[1], layouts[t]!.shards[0]), false);
    }
  });

  it("TorchRec's row-wise and data-parallel options are a few runs, not a shard per rank", () => {
    const cfg = makeTask({ name: 'tr', tables: 20, gpus: 4096, seed: 0, size: 'large' });
    const options = enumerateOptions(cfg).flat();
    const uniform = options.filter((o) => o.type === 'row_wise' || o.type === 'data_parallel');
    assert.ok(uniform.length > 0);
    for (const o of uniform) {
      assert.equal(o.count, 4096);
      assert.ok(o.runs.length <= 3, `${o.type}: ${o.runs.length} runs`);
      assert.equal(
        o.runs.reduce((a, r) => a + r.count, 0),
        4096,
      );
    }
  });

  it('rowBlockRuns is rowBlockSizes as runs', () => {
    for (const rows of [0, 1, 7, 63, 64, 65, 1000, 4095, 4096, 4097, 123_457]) {
      for (const parts of [1, 2, 3, 8, 64, 4096]) {
        const expanded = rowBlockRuns(rows, parts).flatMap(([r, c]) => new Array<number>(c).fill(r));
        assert.deepEqual(expanded, rowBlockSizes(rows, parts), `${rows} rows in ${parts}`);
      }
    }
  });
});
