/**
 * The move budget (plan/moveBudget.ts): never more than N placement entries
 * change, N = 0 is the written placement, a large N is no worse than the full
 * plan, a written placement that cannot stand is repaired with the fewest
 * moves its repair finds (and a budget below that changes nothing), pins and
 * unusual valid entries stay, and the moves' gains add up to the change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Placement, ShardConfig } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { sameEntry } from '../../../server/src/config/placementText';
import { Catalog } from '../../../server/src/plan/catalog';
import { actionsFrom } from '../../../server/src/plan/columnSearch';
import { PlanControl } from '../../../server/src/plan/control';
import { initialLayouts } from '../../../server/src/plan/layouts';
import { entryMoves, planWithMoveBudget, prepareRecuts } from '../../../server/src/plan/moveBudget';
import { planConfig } from '../../../server/src/plan/planner';
import { makeTask, type TaskSpec } from '../../bench/tasks';
import { assertValidPlan, changedEntries, config, table } from './fixtures';

const model = new AnalyticCostModel();

function close(a: number, b: number, rel = 1e-6): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

/** A task with the round-robin plan written into it (a valid but unbalanced placement, like the examples). */
async function writtenTask(spec: TaskSpec): Promise<ShardConfig> {
  const cfg = makeTask(spec);
  const rr = await planConfig(cfg, 'round-robin', model, { seed: 1 });
  assert.equal(rr.feasible, true, rr.reasons.join('; '));
  return { ...cfg, placement: rr.placement };
}

const TASKS: TaskSpec[] = [
  { name: 'mb-a', tables: 20, gpus: 2, seed: 3, size: 'small' },
  { name: 'mb-b', tables: 40, gpus: 4, seed: 4, size: 'small' },
  { name: 'mb-c', tables: 80, gpus: 8, seed: 5, size: 'medium' },
];

describe('planWithMoveBudget: the budget holds', () => {
  for (const spec of TASKS) {
    it(`${spec.tables} tables on ${spec.gpus} GPUs: at most N entries change, feasible, never slower than written`, async () => {
      const cfg = await writtenTask(spec);
      const written = await evaluatePlacement(cfg, cfg.placement!, model);
      const full = await planConfig(cfg, 'best', model, { seed: 0, start: cfg.placement });
      let moved = false;
      for (const n of [0, 1, 2, 4, 8]) {
        const r = await planWithMoveBudget(cfg, model, { maxMoves: n, target: full });
        const changed = changedEntries(cfg.placement!, r.plan.placement);
        assert.ok(changed <= n, `N=${n}: ${changed} entries changed`);
        assert.equal(r.moves.length, changed, `N=${n}: the listed moves are the changed entries`);
        assert.equal(r.requiredMoves, 0);
        assert.equal(r.tooFewMoves, false);
        assert.equal(r.plan.feasible, true, r.plan.reasons.join('; '));
        assertValidPlan(cfg, r.plan);
        assert.ok(r.plan.maxMs <= written.maxMs * (1 + 1e-9), `N=${n}: ${r.plan.maxMs} ≤ written ${written.maxMs}`);
        // The reported numbers are the cost model's own for that placement.
        const again = await evaluatePlacement(cfg, r.plan.placement, model);
        assert.ok(close(again.maxMs, r.plan.maxMs), `${again.maxMs} vs ${r.plan.maxMs}`);
        moved ||= r.moves.length > 0;
      }
      assert.ok(moved, 'some budget bought a move (the round-robin placement is not optimal)');
    });
  }

  it('N = 0 returns the written placement, entry for entry', async () => {
    const cfg = await writtenTask(TASKS[1]);
    const r = await planWithMoveBudget(cfg, model, { maxMoves: 0 });
    assert.deepEqual([...r.plan.placement], [...cfg.placement!]);
    assert.deepEqual(r.moves, []);
    assert.equal(r.method, 'written');
    const written = await evaluatePlacement(cfg, cfg.placement!, model);
    assert.ok(close(r.plan.maxMs, written.maxMs));
    assert.ok(close(r.written!.maxMs, written.maxMs));
  });

  it('N ≥ the number of tables is no worse than the full plan (equal up to rounding, 1e-6 relative)', async () => {
    for (const spec of TASKS) {
      const cfg = await writtenTask(spec);
      const full = await planConfig(cfg, 'best', model, { seed: 0, start: cfg.placement });
      const r = await planWithMoveBudget(cfg, model, { maxMoves: cfg.tables.length, target: full });
      assert.ok(r.plan.maxMs <= full.maxMs * (1 + 1e-6), `${spec.name}: ${r.plan.maxMs} ≤ full ${full.maxMs}`);
      assert.equal(
        r.fullMoves,
        entryMoves(
          cfg.placement!,
          full.placement,
          cfg.tables.map((t) => t.name),
        ).length,
      );
      assert.ok(r.moves.length <= cfg.tables.length);
    }
  });

  it('plans the full plan itself when none is given, and is deterministic', async () => {
    const cfg = await writtenTask(TASKS[0]);
    const a = await planWithMoveBudget(cfg, model, { maxMoves: 3, seed: 2 });
    const b = await planWithMoveBudget(cfg, model, { maxMoves: 3, seed: 2 });
    assert.ok(a.full.gpus.length > 0 && a.full.feasible);
    assert.deepEqual([...a.plan.placement], [...b.plan.placement]);
    assert.deepEqual(a.moves, b.moves);
  });

  it('rejects a budget that is not a whole number ≥ 0', async () => {
    const cfg = await writtenTask(TASKS[0]);
    for (const bad of [-1, 1.5, NaN, Infinity]) {
      await assert.rejects(planWithMoveBudget(cfg, model, { maxMoves: bad }), RangeError, String(bad));
    }
  });

  it('stops with an AbortError when its signal fires', async () => {
    const cfg = await writtenTask(TASKS[2]);
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(planWithMoveBudget(cfg, model, { maxMoves: 5, signal: abort.signal }), (err: Error) => err.name === 'AbortError');
  });
});

describe('planWithMoveBudget: what each move bought', () => {
  it('lists from/to as the entries change, and the gains add up to the step change', async () => {
    const cfg = await writtenTask(TASKS[2]);
    const r = await planWithMoveBudget(cfg, model, { maxMoves: 6 });
    assert.ok(r.moves.length > 0);
    for (const m of r.moves) {
      assert.ok(sameEntry(m.from, cfg.placement!.get(m.table)), `${m.table}: from is the written entry`);
      assert.ok(sameEntry(m.to, r.plan.placement.get(m.table)), `${m.table}: to is the planned entry`);
      assert.equal(m.required, false);
    }
    const attributed = r.moves.reduce((a, m) => a + (m.gainMs ?? 0), 0) + r.jointGainMs;
    assert.ok(close(attributed, r.written!.maxMs - r.plan.maxMs, 1e-6), `gains ${attributed} = ${r.written!.maxMs} − ${r.plan.maxMs}`);
    const credited = r.moves.filter((m) => m.gainMs !== undefined).map((m) => m.gainMs!);
    assert.ok(
      credited.some((g) => g > 0),
      'some move lowers the step on its own',
    );
  });
});

describe('planWithMoveBudget: a written placement that cannot stand', () => {
  // Two 39 GB tables written on one GPU (68 GB for shards: one must leave),
  // a table with no entry, and an entry for a table that no longer exists.
  const GB = 1e9;
  const rowsFor = (bytes: number) => Math.round(bytes / (128 * 2 + 4)); // fp16 × dim 128 + rowwise adagrad's 4 B/row
  function broken(): ShardConfig {
    const tables = [
      table('big_a', rowsFor(39 * GB), 128),
      table('big_b', rowsFor(39 * GB), 128),
      ...Array.from({ length: 6 }, (_, i) => table(`small_${i}`, 200_000 + 50_000 * i, 64)),
    ];
    const cfg = config(tables, 4);
    const placement: Placement = new Map();
    placement.set('big_a', { kind: 'table', gpu: 0 });
    placement.set('big_b', { kind: 'table', gpu: 0 });
    for (let i = 0; i < 5; i++) placement.set(`small_${i}`, { kind: 'table', gpu: i % 4 }); // small_5 has no entry
    placement.set('ghost', { kind: 'table', gpu: 1 });
    return { ...cfg, placement };
  }

  it('is infeasible as written (the premise)', async () => {
    const cfg = broken();
    const written = await evaluatePlacement(cfg, cfg.placement!, model);
    assert.equal(written.feasible, false);
    assert.ok(
      written.reasons.some((r) => /GPU 0 needs/.test(r)),
      written.reasons.join('; '),
    );
  });

  it('counts the moves feasibility needs; a smaller budget changes nothing and says why', async () => {
    const cfg = broken();
    const r = await planWithMoveBudget(cfg, model, { maxMoves: 2 });
    assert.equal(r.requiredMoves, 3, 'one big table off GPU 0, small_5 placed, ghost dropped');
    assert.equal(r.tooFewMoves, true);
    assert.equal(r.plan.feasible, false);
    assert.match(r.plan.reasons[0], /needs 3 moves to become feasible .*more than the budget of 2/);
    assert.deepEqual(r.moves, []);
    assert.equal(r.method, 'written');
  });

  it('with exactly the required moves: feasible, only those moves, each marked required', async () => {
    const cfg = broken();
    const r = await planWithMoveBudget(cfg, model, { maxMoves: 3 });
    assert.equal(r.tooFewMoves, false);
    assert.equal(r.plan.feasible, true, r.plan.reasons.join('; '));
    assertValidPlan({ ...cfg, placement: r.plan.placement }, r.plan);
    assert.equal(changedEntries(cfg.placement!, r.plan.placement), 3);
    const names = r.moves.map((m) => m.table).sort();
    assert.equal(names.length, 3);
    assert.ok(names.includes('ghost') && names.includes('small_5'), names.join());
    assert.equal(names.filter((n) => n === 'big_a' || n === 'big_b').length, 1, 'one big table leaves GPU 0');
    assert.ok(r.moves.every((m) => m.required && m.gainMs === undefined));
    const ghost = r.moves.find((m) => m.table === 'ghost')!;
    assert.equal(ghost.to, undefined, 'the entry of a table not in the config is dropped');
    assert.equal(r.moves.find((m) => m.table === 'small_5')!.from, undefined);
  });

  it('with room to spare: the required moves and at most N in all', async () => {
    const cfg = broken();
    const r = await planWithMoveBudget(cfg, model, { maxMoves: 6 });
    assert.equal(r.plan.feasible, true, r.plan.reasons.join('; '));
    assert.ok(changedEntries(cfg.placement!, r.plan.placement) <= 6);
    assert.equal(r.moves.filter((m) => m.required).length, 3);
  });
});

describe('planWithMoveBudget: what never moves', () => {
  it('keeps pinned tables and valid entries the planners cannot express (a row split over some GPUs) as written', async () => {
    const tables = [
      table('pinned', 2_000_000, 128, { pin: 0, pooling: 40 }),
      table('rows', 4_000_000, 64, { sharding: ['row'] }),
      ...Array.from({ length: 10 }, (_, i) => table(`t${i}`, 500_000 + 300_000 * i, 64, { pooling: 10 + i })),
    ];
    const cfg = config(tables, 4);
    const placement: Placement = new Map();
    placement.set('pinned', { kind: 'table', gpu: 0 });
    placement.set('rows', { kind: 'row', gpus: [0, 1] });
    tables.slice(2).forEach((t) => placement.set(t.name, { kind: 'table', gpu: 0 })); // everything on GPU 0: worth moving
    const written = { ...cfg, placement };
    const r = await planWithMoveBudget(written, model, { maxMoves: 5 });
    assert.equal(r.plan.feasible, true, r.plan.reasons.join('; '));
    assert.ok(r.moves.length > 0 && r.moves.length <= 5);
    assert.deepEqual(r.plan.placement.get('pinned'), { kind: 'table', gpu: 0 });
    assert.deepEqual(r.plan.placement.get('rows'), { kind: 'row', gpus: [0, 1] });
    assert.ok(!r.moves.some((m) => m.table === 'pinned' || m.table === 'rows'));
  });
});

describe('prepareRecuts: the searches start from finished solo costs', () => {
  // soloCosts polls its PlanControl every 1,024 shards, so on a catalog that
  // large it returns before it has finished: called without await, the tables
  // to re-cut were picked on missing costs (in index order) and the budgeted
  // searches started from empty solo costs, and the local-search candidate fell
  // behind (examples/dlrm-856 at --max-moves 10: 33.5 ms instead of 28.8 ms).
  it('re-cuts the heaviest tables and prices every shard of the grown catalog', async () => {
    const cfg = makeTask({ name: 'mb-recut', tables: 800, gpus: 16, seed: 5, size: 'medium' });
    const cat = new Catalog(cfg);
    const { layouts } = initialLayouts(cat);
    const count = cat.shards.length;
    assert.ok(count >= 1024, `${count} catalog shards: enough that soloCosts yields midway`);
    const { probe, scorer } = await prepareRecuts(cat, model, layouts, new PlanControl());
    // The heaviest tables alone (their layout's costliest shard, priced here
    // by the scorer) are among those whose other cuts were added.
    const alone = (s: number) => {
      const c = scorer.score([s]);
      return c.fwdMs + c.bwdMs;
    };
    const cost = layouts.map((l) => (l ? Math.max(...l.shards.map(alone)) : -1));
    const heaviest = cost
      .map((_, t) => t)
      .filter((t) => layouts[t])
      .sort((a, b) => cost[b] - cost[a] || a - b)
      .slice(0, 5);
    const cuts = heaviest.flatMap((t) => actionsFrom(cat, t, layouts[t]));
    const added = cuts.filter((a) => !cat.hasLayout(a.table, a.kind, a.parts, a.rowsPer, count));
    assert.ok(added.length > 0, 'some of their other cuts were not in the catalog before');
    for (const a of cuts) {
      assert.ok(
        cat.hasLayout(a.table, a.kind, a.parts, a.rowsPer),
        `table ${cfg.tables[a.table].name} (${cost[a.table].toFixed(3)} ms alone, index ${a.table}) cut ${a.kind} ${a.parts}×${a.rowsPer}`,
      );
    }
    assert.equal(probe.solo.length, cat.shards.length);
    for (let s = 0; s < cat.shards.length; s++) {
      assert.ok(Number.isFinite(probe.solo[s]) && probe.solo[s] > 0, `shard ${s}: ${probe.solo[s]} ms`);
    }
  });
});
