/**
 * The what-if sweep (engine/sweep.ts): one plan per (type, count), each row
 * the planner's own numbers (maxMs as PlanResult gives it), clusters derived
 * from the config as documented, progress reported, and an AbortSignal that
 * stops it between and inside plans.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { memoryBudget, tableStorage } from '../../../server/src/cost/memory';
import { analyzeDocument, createCostModelCache } from '../../../server/src/engine';
import { clusterDevices, movedConfig, sweepBlockingErrors, sweepClustersOf, sweepConfig, type SweepProgress } from '../../../server/src/engine/sweep';
import { isAbortError } from '../../../server/src/plan/control';
import { planConfig } from '../../../server/src/plan/planner';
import { configText } from '../../fixtures/configText';
import { config, table } from '../plan/fixtures';
import { LinearModel, modelsPerType } from './fixtures';

const tables = Array.from({ length: 12 }, (_, i) => table(`t${i}`, 200_000 * (1 + (i % 4)), [16, 32, 64, 128][i % 4], { pooling: 1 + (i % 5) }));

describe('clusters of a sweep', () => {
  it("keeps per_host unless it exceeds the count, keeps the reserve, takes another type's preset numbers", () => {
    const base = { ...config(tables, 8).devices, perHost: 8, reserve: 0.2, hbmGBps: 1234 };
    const small = clusterDevices(base, { type: base.type, gpus: 4 });
    assert.equal(small.count, 4);
    assert.equal(small.perHost, 4, 'per_host clamped to the count');
    assert.equal(small.reserve, 0.2);
    assert.equal(small.hbmGBps, 1234, "the config's own type keeps its overrides");
    const big = clusterDevices(base, { type: base.type, gpus: 32 });
    assert.equal(big.perHost, 8);
    const a100 = clusterDevices(base, { type: 'A100-80GB', gpus: 16 });
    assert.equal(a100.type, 'A100-80GB');
    assert.equal(a100.hbmGBps, GPU_PRESETS['A100-80GB'].hbmGBps);
    assert.equal(a100.memoryBytes, GPU_PRESETS['A100-80GB'].memoryBytes);
    assert.equal(a100.reserve, 0.2);
    assert.throws(() => clusterDevices(base, { type: 'B300-1TB', gpus: 4 }), /unknown GPU type/);
  });

  it('orders clusters per type, counts ascending, without repeats', () => {
    assert.deepEqual(sweepClustersOf(config(tables, 4), [8, 2, 8, 4], ['A100-80GB', 'H100-80GB']), [
      { type: 'A100-80GB', gpus: 2 },
      { type: 'A100-80GB', gpus: 4 },
      { type: 'A100-80GB', gpus: 8 },
      { type: 'H100-80GB', gpus: 2 },
      { type: 'H100-80GB', gpus: 4 },
      { type: 'H100-80GB', gpus: 8 },
    ]);
    assert.deepEqual(sweepClustersOf(config(tables, 4), [2]), [{ type: 'H100-80GB', gpus: 2 }]);
  });

  it("drops pins past the cluster's last GPU and says which", () => {
    const cfg = config([table('a', 1000, 16, { pin: 5, sharding: ['table'] }), table('b', 1000, 16, { pin: 1 })], 8);
    const { config: moved, droppedPins } = movedConfig(cfg, clusterDevices(cfg.devices, { type: cfg.devices.type, gpus: 4 }));
    assert.deepEqual(droppedPins, ['a \u2192 GPU 5']);
    assert.equal(moved.tables[0].pin, undefined);
    assert.equal(moved.tables[1].pin, 1);
    assert.equal(cfg.tables[0].pin, 5, 'the original config is not changed');
  });
});

describe('sweepConfig', () => {
  it("one row per cluster with the planner's own step time, max/mean, memory and GPU-seconds", async () => {
    const cfg = config(tables, 4);
    const { models } = modelsPerType();
    const result = await sweepConfig(cfg, models, { counts: [2, 4, 8], strategy: 'greedy' });
    assert.deepEqual(
      result.rows.map((r) => r.gpus),
      [2, 4, 8],
    );
    for (const r of result.rows) {
      assert.equal(r.feasible, true, r.reason);
      // The same plan, made directly: the sweep reports its PlanResult fields, nothing re-derived.
      const direct = await planConfig({ ...cfg, devices: clusterDevices(cfg.devices, r) }, 'greedy', new LinearModel(), { seed: 0 });
      assert.equal(r.maxMs, direct.maxMs);
      assert.equal(r.meanMs, direct.meanMs);
      assert.equal(r.gpuSecondsPerStep, (direct.maxMs / 1000) * r.gpus);
      // Over the HBM for shards of the cluster's GPUs (after reserve, dense_bytes and the ids reservation).
      const used = direct.gpus.reduce((s, g) => s + g.memoryBytes, 0);
      const forShards = memoryBudget({ ...cfg, devices: clusterDevices(cfg.devices, r) }).shardBytes;
      assert.ok(Math.abs(r.memoryFraction - used / (forShards * r.gpus)) < 1e-12);
      assert.equal(r.costModel, 'fake: H100-80GB');
      assert.equal(r.strategy, 'greedy');
    }
    // More GPUs, less work on the slowest one (the tables are many and small).
    assert.ok(result.rows[2].maxMs! < result.rows[0].maxMs!);
  });

  it('a cluster too small for the tables is infeasible with a reason, and its memory is what the tables need', async () => {
    const big = [0, 1, 2].map((i) => table(`big${i}`, 150_000_000, 128, { sharding: ['table'] })); // ~38 GB each in fp16 + state
    const cfg = config(big, 4);
    const { models } = modelsPerType();
    const result = await sweepConfig(cfg, models, { counts: [1, 4] });
    const [one, four] = result.rows;
    assert.equal(one.feasible, false);
    assert.match(one.reason!, /no GPU has room|needs/);
    assert.equal(one.maxMs, undefined);
    assert.equal(one.gpuSecondsPerStep, undefined);
    const need = big.reduce((s, t) => s + tableStorage(t, cfg.optimizer).hbm, 0);
    const forShards = memoryBudget({ ...cfg, devices: clusterDevices(cfg.devices, { type: cfg.devices.type, gpus: 1 }) }).shardBytes;
    assert.ok(Math.abs(one.memoryFraction - need / forShards) < 1e-12);
    assert.ok(one.memoryFraction > 1);
    assert.equal(four.feasible, true, four.reason);
  });

  it('each GPU type is planned and scored with its own model', async () => {
    const cfg = config(tables, 4);
    const { models, asked } = modelsPerType();
    const result = await sweepConfig(cfg, models, { counts: [4], types: ['H100-80GB', 'A100-80GB'], strategy: 'greedy' });
    assert.deepEqual(
      result.rows.map((r) => [r.type, r.costModel]),
      [
        ['H100-80GB', 'fake: H100-80GB'],
        ['A100-80GB', 'fake: A100-80GB'],
      ],
    );
    assert.deepEqual([...new Set(asked.map((d) => d.type))], ['H100-80GB', 'A100-80GB']);
    // The fake prices by HBM bandwidth: the A100 (2039 GB/s) is slower per step than the H100 (3350 GB/s).
    assert.ok(result.rows[1].maxMs! > result.rows[0].maxMs!);
  });

  it('a type whose model fails to load gets an infeasible row that says so; the others are planned', async () => {
    const cfg = config(tables, 4);
    const models = createCostModelCache(async (d) => {
      if (d.type === 'A100-80GB') throw new Error('model file is corrupt');
      return { model: new LinearModel() };
    });
    const result = await sweepConfig(cfg, models, { counts: [2], types: ['A100-80GB', 'H100-80GB'], strategy: 'greedy' });
    assert.equal(result.rows[0].feasible, false);
    assert.match(result.rows[0].reason!, /could not plan: model file is corrupt/);
    assert.equal(result.rows[1].feasible, true);
  });

  it('reports progress before each cluster and after it', async () => {
    const seen: SweepProgress[] = [];
    const { models } = modelsPerType();
    await sweepConfig(config(tables, 4), models, { counts: [2, 4], strategy: 'greedy', onProgress: (p) => seen.push(p) });
    assert.deepEqual(
      seen.map((p) => [p.done, p.total, p.next?.gpus, p.row?.gpus]),
      [
        [0, 2, 2, undefined],
        [1, 2, 4, 2],
        [2, 2, undefined, 4],
      ],
    );
  });

  it('an aborted signal stops the sweep with an AbortError; plans not started are not made', async () => {
    const { models, asked } = modelsPerType();
    const abort = new AbortController();
    const run = sweepConfig(config(tables, 4), models, {
      counts: [1, 2, 4, 8],
      strategy: 'greedy',
      signal: abort.signal,
      onProgress: (p) => {
        if (p.done === 1) abort.abort();
      },
    });
    await assert.rejects(run, (err) => isAbortError(err));
    assert.ok(asked.length <= 2, `at most the first two clusters asked for a model (${asked.length})`);
  });

  it('the soft time limit reaches the planner (0 turns it off)', async () => {
    const { models } = modelsPerType();
    const limited = await sweepConfig(config(tables, 4), models, { counts: [2], strategy: 'greedy', planBudgetMs: 1234 });
    assert.equal(limited.planBudgetMs, 1234);
    const off = await sweepConfig(config(tables, 4), models, { counts: [2], strategy: 'greedy', planBudgetMs: 0 });
    assert.equal(off.planBudgetMs, undefined);
  });

  it('errors about the written cluster (SL037 too little memory) do not stop a sweep; others do', async () => {
    const { models } = modelsPerType();
    const noFiles = { readFile: () => undefined };
    // 1 MB of HBM: the ids reservation alone takes more (SL052).
    const tooSmall = configText({ tables: 6, gpus: 2 }).replace('type: H100-80GB', 'type: H100-80GB\n  memory_bytes: 1000000');
    const a = await analyzeDocument('/w/a.shard.yaml', tooSmall, noFiles, models);
    assert.ok(
      a.diagnostics.some((d) => d.code === 'SL052'),
      JSON.stringify(a.diagnostics.map((d) => d.code)),
    );
    assert.equal(sweepBlockingErrors(a).length, 0);
    // 1 GB: room for shards, not for the tables (SL036/SL037).
    const small = configText({ tables: 6, gpus: 2 }).replace('type: H100-80GB', 'type: H100-80GB\n  memory_bytes: 1000000000');
    const b = await analyzeDocument('/w/s.shard.yaml', small, noFiles, models);
    assert.ok(
      b.diagnostics.some((d) => d.code === 'SL037' || d.code === 'SL036'),
      JSON.stringify(b.diagnostics.map((d) => d.code)),
    );
    assert.equal(sweepBlockingErrors(b).length, 0);
    const broken = await analyzeDocument('/w/b.shard.yaml', configText({ firstDim: 130 }), noFiles, models);
    assert.ok(sweepBlockingErrors(broken).some((d) => d.code === 'SL031'));
  });
});
