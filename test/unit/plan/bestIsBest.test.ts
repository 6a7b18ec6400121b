/**
 * `best` is the best it found (property test, fast-check). For random
 * clusters and tables, planned with the same seed and no time budget:
 *   best.maxMs ≤ S.maxMs (relative tolerance 1e-9) for every strategy S that
 *   best runs to the end inside it: 'search', 'column', and on clusters of
 *   up to LARGE_CLUSTER GPUs 'policy', and 'torchrec' when no table is tiny
 *   (TorchRec's plan is one of best's plans there, its tiny tables aside);
 * whenever S's plan is feasible, best's is too. maxMs is the step (critical
 * path) as scored by the model both were planned with (evaluatePlacement of
 * the placement, cost/stepCost.ts). With a time budget that bites, `best`
 * shares it among more work than S, so the comparison is made without one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { DEFAULT_KERNEL, type ShardConfig, type ShardingKind, type TableSpec } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import type { CostModel } from '../../../server/src/cost/types';
import { tableMemoryBytes } from '../../../server/src/cost/memory';
import { LARGE_CLUSTER } from '../../../server/src/plan/columnSearch';
import { TINY_TABLE_BYTES } from '../../../server/src/plan/layouts';
import { ALL_KINDS } from '../../../server/src/plan/evaluate';
import { planConfig } from '../../../server/src/plan/planner';
import type { Strategy } from '../../../server/src/plan/types';
import { makeTask } from '../../bench/tasks';
import { property, runs } from '../../fuzz/runs';

const GIB = 2 ** 30;

const tableArb = (i: number, big = false) =>
  fc
    .record({
      rowsExp: fc.double({ min: big ? 5 : 2, max: 8.5, noNaN: true }),
      dim: big ? fc.constantFrom(16, 32, 64, 128, 256) : fc.constantFrom(4, 8, 16, 32, 64, 128, 256),
      pooling: fc.double({ min: 1, max: 80, noNaN: true }),
      zipf: fc.double({ min: 0, max: 1.2, noNaN: true }),
      kinds: fc.option(fc.subarray([...ALL_KINDS], { minLength: 1 }), { nil: undefined, freq: 3 }),
    })
    .map((r): TableSpec => ({
      name: `t${i}`,
      rows: Math.round(10 ** r.rowsExp),
      dim: r.dim,
      pooling: Math.round(r.pooling * 10) / 10,
      zipf: Math.round(r.zipf * 100) / 100,
      dtype: 'fp16',
      kernel: DEFAULT_KERNEL,
      ids: 'hashed',
      sharding: (r.kinds ?? [...ALL_KINDS]) as ShardingKind[],
    }));

const configArbOf = (big: boolean) =>
  fc
    .record({
      shape: fc.constantFrom([2, 2], [4, 4], [8, 8], [8, 4], [16, 8], [48, 8]),
      memGiB: fc.constantFrom(16, 80),
      batch: fc.constantFrom(8192, 65536),
      n: fc.integer({ min: 2, max: 24 }),
    })
    .chain((c) =>
      fc.tuple(...Array.from({ length: c.n }, (_, i) => tableArb(i, big))).map((tables): ShardConfig => ({
        version: 1,
        batchSize: c.batch,
        dtype: 'fp16',
        optimizer: 'rowwise_adagrad',
        kernel: DEFAULT_KERNEL,
        denseBytes: 0,
        devices: { type: 'H100-80GB', count: c.shape[0], perHost: c.shape[1], reserve: 0.15, ...GPU_PRESETS['H100-80GB'], memoryBytes: c.memGiB * GIB },
        tables,
      })),
    );
const configArb = configArbOf(false);
/** Clusters of up to LARGE_CLUSTER GPUs whose tables are all above TINY_TABLE_BYTES (≥ 10⁵ rows × 16 fp16). */
const bigTablesArb = configArbOf(true).filter((c) => c.devices.count <= LARGE_CLUSTER);

/** The strategies best runs to the end on `cfg`'s cluster. */
function inside(cfg: ShardConfig): Strategy[] {
  if (cfg.devices.count > LARGE_CLUSTER) return ['search', 'column'];
  return cfg.tables.every((t) => tableMemoryBytes(t, cfg.optimizer) >= TINY_TABLE_BYTES) ? ['search', 'column', 'policy', 'torchrec'] : ['search', 'column', 'policy'];
}

async function check(cfg: ShardConfig, model: CostModel): Promise<void> {
  const best = await planConfig(cfg, 'best', model, { seed: 5 });
  for (const s of inside(cfg)) {
    const other = await planConfig(cfg, s, model, { seed: 5 });
    if (!other.feasible) continue;
    assert.equal(best.feasible, true, `${s} is feasible but best is not: ${best.reasons.join('; ')}`);
    assert.ok(best.maxMs <= other.maxMs * (1 + 1e-9), `best ${best.maxMs} ms > ${s} ${other.maxMs} ms`);
  }
}

describe("'best' is the best it found", () => {
  it('best ≤ search, column and (≤ 32 GPUs) policy on random configs (FBGEMM model, same seed, no budget)', async () => {
    const model = new FbgemmCostModel('H100-80GB');
    await property(
      'best is the best it found: fbgemm',
      fc.asyncProperty(configArb, (cfg) => check(cfg, model)),
      runs(30),
    );
  });
  it('the same with the analytic embedding_bag model', async () => {
    const model = new AnalyticCostModel('H100-80GB');
    await property(
      'best is the best it found: analytic',
      fc.asyncProperty(configArb, (cfg) => check(cfg, model)),
      runs(12),
    );
  });
  it('best ≤ torchrec on clusters of up to 32 GPUs whose tables are not tiny (FBGEMM model)', async () => {
    const model = new FbgemmCostModel('H100-80GB');
    await property(
      'best is the best it found: torchrec',
      fc.asyncProperty(bigTablesArb, (cfg) => check(cfg, model)),
      runs(20),
    );
  });
  it('on the bench task where column used to beat best (400 tables on 64 GPUs)', async () => {
    const cfg = makeTask({ name: 'dlrm-400/64', tables: 400, gpus: 64, seed: 0, size: 'large' });
    await check(cfg, new FbgemmCostModel('H100-80GB'));
  });
});
