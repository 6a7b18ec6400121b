import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { planConfig } from '../../../server/src/plan/planner';
import { STRATEGIES, type Strategy } from '../../../server/src/plan/types';
import { makeTask } from '../../bench/tasks';
import { assertValidPlan, config, table } from './fixtures';

const model = new AnalyticCostModel();
const PLANNING: Strategy[] = [...STRATEGIES];
const TASKS = [
  makeTask({ name: 'a', tables: 20, gpus: 2, seed: 0, size: 'small' }),
  makeTask({ name: 'b', tables: 50, gpus: 4, seed: 1, size: 'small' }),
  makeTask({ name: 'c', tables: 100, gpus: 8, seed: 2, size: 'medium' }),
];

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('planConfig: every strategy on seeded tasks', () => {
  for (const [i, cfg] of TASKS.entries()) {
    for (const strategy of PLANNING) {
      it(`${strategy} on task ${i} (${cfg.tables.length} tables, ${cfg.devices.count} GPUs) is feasible and valid`, async () => {
        const plan = await planConfig(cfg, strategy, model, { seed: 7 });
        assert.equal(plan.strategy, strategy);
        assert.deepEqual(plan.reasons, []);
        assert.equal(plan.feasible, true);
        assertValidPlan(cfg, plan);
        // The planner's own numbers are what evaluatePlacement (predict) says of its placement.
        const again = await evaluatePlacement(cfg, plan.placement, model, strategy);
        assert.ok(close(plan.maxMs, again.maxMs), `${plan.maxMs} vs ${again.maxMs}`);
        assert.ok(plan.maxMs >= plan.meanMs && plan.meanMs > 0);
      });
    }
  }
});

describe('planConfig: search quality ordering', () => {
  for (const [i, cfg] of TASKS.entries()) {
    it(`task ${i}: search ≤ greedy, column ≤ search, best ≤ every baseline`, async () => {
      const r = Object.fromEntries(await Promise.all(PLANNING.map(async (s) => [s, (await planConfig(cfg, s, model, { seed: 3 })).maxMs] as const)));
      const eps = 1e-9;
      assert.ok(r.search <= r.greedy + eps, `search ${r.search} ≤ greedy ${r.greedy}`);
      assert.ok(r.column <= r.search + eps, `column ${r.column} ≤ search ${r.search}`);
      for (const b of ['random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup', 'greedy']) {
        assert.ok(r.best <= r[b] + eps, `best ${r.best} ≤ ${b} ${r[b]}`);
      }
    });
  }
});

describe('planConfig: constraints', () => {
  it('keeps pinned tables on their GPU under every strategy', async () => {
    const cfg = makeTask({ name: 'p', tables: 40, gpus: 4, seed: 5, size: 'small' });
    cfg.tables[0].pin = 3;
    cfg.tables[5].pin = 0;
    cfg.tables[9].pin = 0;
    for (const s of PLANNING) {
      const plan = await planConfig(cfg, s, model, { seed: 1 });
      assert.equal(plan.feasible, true, `${s}: ${plan.reasons.join('; ')}`);
      assertValidPlan(cfg, plan);
    }
  });

  it('respects restricted sharding kinds', async () => {
    const cfg = makeTask({ name: 'k', tables: 30, gpus: 4, seed: 6, size: 'small' });
    cfg.tables[0] = { ...cfg.tables[0], dim: 64, sharding: ['column'] };
    cfg.tables[1] = { ...cfg.tables[1], sharding: ['row'] };
    for (const t of cfg.tables.slice(2, 12)) t.sharding = ['table'];
    for (const s of PLANNING) {
      const plan = await planConfig(cfg, s, model, { seed: 1 });
      assert.equal(plan.feasible, true, `${s}: ${plan.reasons.join('; ')}`);
      assertValidPlan(cfg, plan);
      assert.equal(plan.placement.get(cfg.tables[0].name)!.kind, 'column');
      assert.equal(plan.placement.get(cfg.tables[1].name)!.kind, 'row');
    }
  });

  it('splits a table no GPU can hold by rows when allowed', async () => {
    // 400M rows × 128 × 2 B ≈ 102 GB + 1.6 GB optimizer state: over one H100's 72 GB usable.
    const cfg = config([table('huge', 400_000_000, 128), ...Array.from({ length: 12 }, (_, i) => table(`t${i}`, 1_000_000 * (i + 1), 64))], 4);
    for (const s of PLANNING) {
      const plan = await planConfig(cfg, s, model, { seed: 2 });
      assert.equal(plan.feasible, true, `${s}: ${plan.reasons.join('; ')}`);
      assertValidPlan(cfg, plan);
      const e = plan.placement.get('huge')!;
      assert.equal(e.kind, 'row');
    }
  });

  it('reports a table that fits nowhere when splitting is not allowed', async () => {
    const cfg = config([table('huge', 400_000_000, 128, { sharding: ['table'] }), table('small', 1000, 16)], 4);
    for (const s of PLANNING) {
      const plan = await planConfig(cfg, s, model);
      assert.equal(plan.feasible, false);
      assert.ok(
        plan.reasons.some((r) => r.includes('huge') && /GiB/.test(r)),
        plan.reasons.join('; '),
      );
      assert.ok(plan.placement.has('small'), 'the rest is still planned');
      assert.equal(plan.placement.has('huge'), false);
    }
  });

  it('reports a model that does not fit the cluster at all', async () => {
    const tables = Array.from({ length: 6 }, (_, i) => table(`big${i}`, 200_000_000, 128));
    const plan = await planConfig(config(tables, 2), 'best', model);
    assert.equal(plan.feasible, false);
    assert.ok(plan.reasons.length > 0);
    assert.ok(
      plan.reasons.some((r) => /room|GiB/.test(r)),
      plan.reasons.join('; '),
    );
  });
});

describe('planConfig: behaviour', () => {
  it('is deterministic for a seed', async () => {
    const cfg = TASKS[1];
    for (const s of ['random', 'search', 'best'] as const) {
      const a = await planConfig(cfg, s, model, { seed: 11 });
      const b = await planConfig(cfg, s, model, { seed: 11 });
      assert.deepEqual([...a.placement], [...b.placement], s);
    }
    const r1 = await planConfig(cfg, 'random', model, { seed: 1 });
    const r2 = await planConfig(cfg, 'random', model, { seed: 2 });
    assert.notDeepEqual([...r1.placement], [...r2.placement]);
  });

  it('rejects with an AbortError when the signal fires before or during planning', async () => {
    const before = new AbortController();
    before.abort();
    await assert.rejects(planConfig(TASKS[0], 'search', model, { signal: before.signal }), { name: 'AbortError' });

    const big = makeTask({ name: 'big', tables: 856, gpus: 64, seed: 0, size: 'large' });
    const during = new AbortController();
    setTimeout(() => during.abort(), 1);
    await assert.rejects(planConfig(big, 'best', model, { signal: during.signal }), { name: 'AbortError' });
  });

  it('returns an infeasible plan with reasons on odd input instead of throwing', async () => {
    const noGpus = config([table('a', 10, 4)], 1);
    noGpus.devices = { ...noGpus.devices, count: 0 };
    const r1 = await planConfig(noGpus, 'best', model);
    assert.equal(r1.feasible, false);
    assert.match(r1.reasons[0], /no GPUs/);
    const r2 = await planConfig(config([], 2), 'search', model);
    assert.equal(r2.feasible, true, 'an empty table list is a valid (empty) plan');
    assert.equal(r2.placement.size, 0);
    const r3 = await planConfig(TASKS[0], 'nonsense' as Strategy, model);
    assert.equal(r3.feasible, false);
    assert.match(r3.reasons[0], /unknown strategy/);
    const r4 = await planConfig(undefined as never, 'best', model);
    assert.equal(r4.feasible, false);
  });
});

describe('planConfig: incremental replanning from a placement', () => {
  it('repairs a placement after a table changes, one is added and one removed, and stays feasible', async () => {
    const cfg = makeTask({ name: 'inc', tables: 120, gpus: 8, seed: 4, size: 'medium' });
    const first = await planConfig(cfg, 'search', model, { seed: 1 });
    assert.equal(first.feasible, true);
    const edited = structuredClone(cfg);
    edited.tables[3] = { ...edited.tables[3], rows: edited.tables[3].rows * 3, pooling: edited.tables[3].pooling + 20 };
    edited.tables.push(table('brand_new', 5_000_000, 64, { pooling: 30 }));
    const removed = edited.tables.splice(10, 1)[0].name;
    const start = new Map(first.placement);
    for (const s of ['greedy', 'search', 'column', 'best'] as const) {
      const next = await planConfig(edited, s, model, { seed: 1, start });
      assert.equal(next.feasible, true, `${s}: ${next.reasons.join('; ')}`);
      assertValidPlan(edited, next);
      assert.equal(next.placement.has(removed), false);
      assert.ok(next.placement.has('brand_new'));
      if (s === 'best' || s === 'column') continue; // these may split tables or prefer a plan from scratch
      // Planning from the start keeps most tables where they were.
      let kept = 0;
      for (const [name, e] of next.placement) if (JSON.stringify(start.get(name)) === JSON.stringify(e)) kept++;
      assert.ok(kept >= edited.tables.length / 2, `${s}: ${kept} of ${edited.tables.length} tables kept their place`);
    }
  });

  it("'best' from an unbalanced written placement also plans from scratch, and is as good as planning from scratch", async () => {
    const cfg = makeTask({ name: 'rr', tables: 150, gpus: 8, seed: 9, size: 'medium' });
    const roundRobin = await planConfig(cfg, 'round-robin', model);
    assert.equal(roundRobin.feasible, true, roundRobin.reasons.join('; '));
    const fromStart = await planConfig(cfg, 'best', model, { seed: 0, start: roundRobin.placement });
    const fromScratch = await planConfig(cfg, 'best', model, { seed: 0 });
    assert.equal(fromStart.feasible, true, fromStart.reasons.join('; '));
    assertValidPlan(cfg, fromStart);
    assert.ok(fromStart.maxMs <= fromScratch.maxMs * 1.0001, `from start ${fromStart.maxMs} ms vs from scratch ${fromScratch.maxMs} ms`);
  });

  it('drops invalid start entries (GPU out of range, pin violated) and re-places those tables', async () => {
    const cfg = config([table('a', 1000, 16, { pin: 1 }), table('b', 1000, 16), table('c', 1000, 16)], 2);
    const start = new Map([
      ['a', { kind: 'table' as const, gpu: 0 }],
      ['b', { kind: 'table' as const, gpu: 7 }],
      ['c', { kind: 'column' as const, gpus: [0, 1] }],
      ['gone', { kind: 'table' as const, gpu: 0 }],
    ]);
    const plan = await planConfig(cfg, 'search', model, { start });
    assert.equal(plan.feasible, true, plan.reasons.join('; '));
    assertValidPlan(cfg, plan);
  });
});
