/**
 * The re-implemented TorchRec planner: its enumerator's shard geometry, the
 * GreedyPerfPartitioner's order and heap, the proposers, and the strategy end
 * to end (a valid plan, scored like any other).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { ALL_KINDS } from '../../../server/src/plan/evaluate';
import { planConfig } from '../../../server/src/plan/planner';
import { columnBlock, enumerateOptions, optionShards, type ShardingOption } from '../../../server/src/plan/torchrec/options';
import { partition } from '../../../server/src/plan/torchrec/partitioner';
import { greedyProposer, gridSearchProposer, uniformProposer } from '../../../server/src/plan/torchrec/proposers';
import { assertValidPlan, config, table } from './fixtures';

describe('TorchRec enumerator', () => {
  it('column-wise block width: the smallest divisor ≥ 128 that is a multiple of 4, else the dim', () => {
    assert.equal(columnBlock(256), 128);
    assert.equal(columnBlock(384), 128);
    assert.equal(columnBlock(200), 200); // no divisor in [128, 200) divisible by 4 except 200 itself
    assert.equal(columnBlock(64), 64);
    assert.equal(columnBlock(512, 256), 256);
  });

  it("one option per allowed type, with TorchRec's shard counts (grid only when named)", () => {
    const cfg = config([table('a', 1000, 256, { sharding: [...ALL_KINDS] }), table('b', 1000, 64, { sharding: ['table', 'grid'] })], 16);
    cfg.devices = { ...cfg.devices, perHost: 8 };
    const [a, b] = enumerateOptions(cfg);
    const byType = Object.fromEntries(a.map((o) => [o.type, o.count]));
    assert.deepEqual(byType, { data_parallel: 16, table_wise: 1, column_wise: 2, table_column_wise: 2, row_wise: 16, table_row_wise: 8 });
    const rowWise = a.find((o) => o.type === 'row_wise')!;
    assert.deepEqual(
      optionShards(rowWise)
        .map((s) => s.shard.rows)
        .slice(0, 3),
      [63, 63, 63],
    );
    assert.equal(optionShards(rowWise).length, 16);
    // A shard per rank, held as runs of one object: full blocks, the remainder (1000 − 15 × 63 = 55).
    assert.deepEqual(
      rowWise.runs.map((r) => [r.shard.shard.rows, r.count]),
      [
        [63, 15],
        [55, 1],
      ],
    );
    const dp = a.find((o) => o.type === 'data_parallel')!;
    assert.ok(optionShards(dp).every((s) => s.shard.bags === 65536 / 16));
    assert.equal(dp.runs.length, 1);
    // dim 64 cannot be cut into 128-wide blocks: no grid; table_wise stays.
    assert.deepEqual(
      b.map((o) => o.type),
      ['table_wise'],
    );
  });
});

function option(table: number, type: ShardingOption['type'], perfs: number[], hbm = 1): ShardingOption {
  const partitionBy = type === 'row_wise' || type === 'data_parallel' ? 'uniform' : type === 'table_row_wise' || type === 'table_column_wise' ? 'host' : 'device';
  return { table, type, kind: 'table', partitionBy, rowsPer: 2, count: perfs.length, runs: perfs.map((perf) => ({ shard: { shard: {} as never, perf, hbm, ddr: 0 }, count: 1 })) };
}

describe('TorchRec GreedyPerfPartitioner', () => {
  const topo = { n: 4, perHost: 2, hbm: 100, ddr: 0 };
  it('uniform options first on rank i, then the largest storage first onto the least-loaded rank', () => {
    const p = partition([option(0, 'table_wise', [5], 1), option(1, 'row_wise', [1, 1, 1, 1]), option(2, 'table_wise', [3], 50)], topo)!;
    assert.deepEqual(p.ranks[1], [0, 1, 2, 3]);
    // Every rank's perf is 1 after the row-wise option; ties go to rank mod local size, then rank: 0 first.
    assert.deepEqual(p.ranks[2], [0], 'the 50-byte table goes first, to rank 0');
    // Ranks 1, 2, 3 tie at perf 1: rank 2 (local rank 0 of host 1) comes before 1 and 3.
    assert.deepEqual(p.ranks[0], [2], 'then the other one to the least-loaded rank, spreading over hosts');
    assert.deepEqual([...p.perf], [4, 1, 6, 1]);
  });
  it('host options take one host; a shard that fits nowhere fails the partition', () => {
    const p = partition([option(0, 'table_wise', [9]), option(1, 'table_row_wise', [2, 2]), option(2, 'table_row_wise', [1, 1])], topo)!;
    // By storage: the two table_row options (2 B each) before the table (1 B); hosts by ascending perf.
    assert.deepEqual(p.ranks[1], [0, 1], 'the first table_row option takes host 0');
    assert.deepEqual(p.ranks[2], [2, 3], 'the second the host with less perf');
    assert.deepEqual(p.ranks[0], [2], 'the table the least-loaded rank (perf 1; local rank 0 first)');
    assert.equal(partition([option(0, 'table_wise', [1], 101)], topo), undefined);
  });
});

describe('TorchRec proposers', () => {
  const options: ShardingOption[][] = [
    [option(0, 'table_wise', [3], 10), option(0, 'row_wise', [1, 1, 1, 1], 3)],
    [option(1, 'table_wise', [2], 5), option(1, 'row_wise', [1, 1, 1, 1], 2)],
  ];
  it('grid search proposes every combination', () => {
    const g = gridSearchProposer(options);
    const seen: string[] = [];
    for (let p = g.propose(); p; p = g.propose()) {
      seen.push(p.join(','));
      g.feedback(1);
    }
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen).size, 4);
  });
  it("greedy starts from every table's best option and advances the table holding the most storage", () => {
    const g = greedyProposer(options, true);
    assert.deepEqual(g.propose(), [1, 1], 'row-wise has the lower max shard perf for both');
    g.feedback(1);
    assert.deepEqual(g.propose(), [0, 1], "table 0's row-wise option holds more (max 3 B per shard) than table 1's");
    g.feedback(1);
    assert.deepEqual(g.propose(), [0, 0]);
    g.feedback(1);
    assert.equal(g.propose(), undefined, 'every table at its last option');
  });
  it('uniform proposes one plan per sharding type every table has', () => {
    const u = uniformProposer(options);
    const seen: string[] = [];
    for (let p = u.propose(); p; p = u.propose()) {
      seen.push(p.join(','));
      u.feedback(1);
    }
    assert.deepEqual(seen.sort(), ['0,0', '1,1']);
  });
});

describe('--strategy torchrec', () => {
  it('plans a valid placement over every kind, scored by the step model', async () => {
    const cfg = config(
      [
        table('big', 300_000_000, 128),
        table('mid', 2_000_000, 64, { pooling: 30 }),
        table('small', 5000, 16),
        table('tiny', 100, 8),
        ...Array.from({ length: 8 }, (_, i) => table(`t${i}`, 100_000 * (i + 1), 32)),
      ].map((t) => ({ ...t, sharding: [...ALL_KINDS] })),
      8,
    );
    const plan = await planConfig(cfg, 'torchrec', new FbgemmCostModel('H100-80GB'));
    assert.equal(plan.strategy, 'torchrec');
    assert.equal(plan.feasible, true, plan.reasons.join('; '));
    assertValidPlan(cfg, plan);
    assert.notEqual(plan.placement.get('big')!.kind, 'table', 'a table no GPU holds is cut');
    assert.ok(Math.abs(plan.phases.reduce((a, p) => a + p.maxMs, 0) - plan.maxMs) < 1e-9 * plan.maxMs);
  });
});
