/**
 * The pure halves of `shardlens measure`: set specs from a placement (every
 * sharding kind's geometry, as placementShards gives it), the refusals by
 * kernel, reading collector output (rounds → medians, errors located), and
 * the predicted-vs-measured join (phases substituted, comm measured or not,
 * unmeasured GPUs, max, MAPE, Kendall τ).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { PlacementEntry, ShardConfig, TableSpec } from '../../../server/src/config/types';
import { placementShards } from '../../../server/src/cost/shards';
import { busiestGpus, joinPlan, parseMeasuredLines } from '../../../server/src/plan/measuredJoin';
import { cannotRun, placementSpecs, specLines } from '../../../server/src/plan/measureSpec';
import type { GpuReport } from '../../../server/src/plan/types';

const table = (name: string, over: Partial<TableSpec> = {}): TableSpec => ({
  name,
  rows: 1000,
  dim: 64,
  pooling: 4,
  zipf: 0.7,
  dtype: 'fp16',
  kernel: 'torch_embedding_bag',
  ids: 'hashed',
  sharding: ['data_parallel', 'table', 'column', 'row', 'table_row', 'grid'],
  ...over,
});

function config(tables: TableSpec[], entries: [string, PlacementEntry][], count = 4, perHost = 2): ShardConfig {
  return {
    version: 1,
    batchSize: 1024,
    dtype: 'fp32',
    optimizer: 'adam',
    kernel: 'torch_embedding_bag',
    denseBytes: 0,
    devices: { type: 'A100-80GB', count, perHost, reserve: 0.1, ...GPU_PRESETS['A100-80GB'] },
    tables,
    placement: new Map(entries),
  };
}

describe('placementSpecs', () => {
  const tables = [table('t'), table('dp', { dim: 16 }), table('col', { dim: 32 }), table('rows', { rows: 1001, ids: 'sorted' }), table('g', { dim: 64 }), table('lost')];
  const cfg = config(tables, [
    ['t', { kind: 'table', gpu: 3 }],
    ['dp', { kind: 'data_parallel' }],
    ['col', { kind: 'column', gpus: [0, 1] }],
    ['rows', { kind: 'table_row', host: 1 }],
    ['g', { kind: 'grid', hosts: [0, 1] }],
  ]);
  const specs = placementSpecs(cfg, cfg.placement!, { plan: 'p' });

  it('one line per GPU, every shard with its geometry from placementShards', () => {
    assert.deepEqual(
      specs.map((s) => s.id),
      ['p/gpu0', 'p/gpu1', 'p/gpu2', 'p/gpu3'],
    );
    const shape = { count: 4, perHost: 2, batchSize: 1024 };
    for (const t of tables.slice(0, 5)) {
      const expected = placementShards(t, cfg.placement!.get(t.name)!, shape);
      const got = specs.flatMap((s) => s.tables.filter((x) => x.name === t.name).map((x) => ({ gpu: s.rank, x })));
      assert.equal(got.length, expected.length, t.name);
      for (const { gpu, shard } of expected) {
        const hit = got.find((g) => g.gpu === gpu && g.x.rows === shard.rows && g.x.dim === shard.dim);
        assert.ok(hit, `${t.name} on GPU ${gpu}`);
        assert.equal(hit.x.pooling, shard.pooling);
        assert.equal(hit.x.bags, shard.bags ?? 1024);
        assert.equal(hit.x.shards, expected.length);
      }
    }
    assert.ok(!specs.some((s) => s.tables.some((t) => t.name === 'lost')), 'an unplaced table is not measured');
  });

  it('data-parallel replicas serve batch / N bags; row blocks carry where they sit', () => {
    for (const s of specs) assert.equal(s.tables.find((t) => t.name === 'dp')!.bags, 256);
    const blocks = specs.flatMap((s) => s.tables.filter((t) => t.name === 'rows'));
    assert.deepEqual(
      blocks.map((b) => b.block!.offset),
      [0, 501],
    );
    assert.ok(blocks.every((b) => b.block!.ids === 'sorted' && b.block!.table_rows === 1001 && b.block!.table_pooling === 4));
    assert.ok(specs.every((s) => s.optimizer === 'adam' && s.tables.every((t) => t.optimizer === 'adam' && t.dtype === 'fp16')));
  });

  it('pooled bytes per bag split into all-to-all and row-block parts', () => {
    // GPU 3: table t (64 × 2 B), dp (16 × 2 B), a row block of rows (64 × 2 B), a grid block of g (32 × 2 B).
    assert.deepEqual(specs[3].pooled_bytes_per_bag, { out: 128 + 32, row: 128 + 64 });
  });

  it('a GPU subset, and the JSONL text', () => {
    const some = placementSpecs(cfg, cfg.placement!, { plan: 'q', gpus: [3, 1] });
    assert.deepEqual(
      some.map((s) => s.rank),
      [1, 3],
    );
    const text = specLines(some);
    assert.equal(text.split('\n').length, 3);
    assert.equal(JSON.parse(text.split('\n')[1]).id, 'q/gpu3');
    assert.equal(specLines([]), '');
  });

  it('refuses by name what the machine cannot run', () => {
    const fb = config(
      [table('x', { kernel: 'fbgemm_tbe' }), table('y', { kernel: 'fbgemm_tbe_uvm_caching', cacheLoadFactor: 0.3 }), table('z')],
      [
        ['x', { kind: 'table', gpu: 0 }],
        ['y', { kind: 'table', gpu: 1 }],
        ['z', { kind: 'table', gpu: 2 }],
      ],
    );
    fb.optimizer = 'rowwise_adagrad';
    const s = placementSpecs(fb, fb.placement!, { plan: 'f' });
    assert.equal(s[1].tables[0].cache_load_factor, 0.3);
    const why = cannotRun(s, { fbgemm: false, cpu: false });
    assert.equal(why.length, 3);
    assert.match(why[0], /kernel fbgemm_tbe \(tables x\) needs FBGEMM \(fbgemm_gpu\)/);
    assert.match(why[1], /kernel fbgemm_tbe_uvm_caching \(tables y\) needs FBGEMM/);
    assert.match(why[2], /rowwise_adagrad exists only in FBGEMM's fused TBE.*tables z/);
    assert.deepEqual(cannotRun(s, { fbgemm: true, cpu: false }).length, 1);
    assert.match(cannotRun(s, { fbgemm: true, cpu: true })[0], /runs only on a CUDA GPU/);
  });
});

const gpu = (g: number, fwdMs: number, bwdMs: number, commMs: number, extra = 0): GpuReport => ({
  gpu: g,
  tables: ['a', 'b'],
  fwdMs,
  bwdMs,
  commMs,
  totalMs: fwdMs + bwdMs + commMs + extra,
  memoryBytes: 1,
  capacityBytes: 2,
});

describe('reading collector output', () => {
  it('rounds become medians with a spread; errors and OOM lines are located', () => {
    const text = [
      JSON.stringify({ id: 'p/gpu0', fwd_ms: 1, bwd_ms: 2, repeat: 0 }),
      JSON.stringify({ id: 'p/gpu0', fwd_ms: 3, bwd_ms: 4, repeat: 1 }),
      JSON.stringify({ id: 'p/gpu0', fwd_ms: 2, bwd_ms: 3, repeat: 2 }),
      '',
      JSON.stringify({ id: 'p/gpu1', fwd_ms: null, bwd_ms: null, error: 'out of memory: CUDA out of memory' }),
      '{oops',
      JSON.stringify({ id: 'p/gpu2', fwd_ms: 1, bwd_ms: 1, comm: { fwd_ms: 0.25, bwd_ms: 0.5 } }),
    ].join('\n');
    const { sets, errors } = parseMeasuredLines(text);
    assert.deepEqual(sets.get('p/gpu0'), { id: 'p/gpu0', fwdMs: 2, bwdMs: 3, rounds: 3, spread: (7 - 3) / 5 });
    assert.deepEqual(sets.get('p/gpu2'), { id: 'p/gpu2', fwdMs: 1, bwdMs: 1, rounds: 1, commMs: 0.75 });
    assert.deepEqual(
      errors.map((e) => e.line),
      [5, 6],
    );
    assert.match(errors[0].message, /p\/gpu1: out of memory/);
    assert.match(errors[1].message, /invalid JSON/);
  });
});

describe('joinPlan', () => {
  const plan = { gpus: [gpu(0, 1, 2, 0.5, 0.1), gpu(1, 2, 4, 0.5), gpu(2, 1, 1, 0.2), gpu(3, 0.5, 0.5, 0.1)] };
  const measured = parseMeasuredLines(
    [
      JSON.stringify({ id: 'x/gpu0', fwd_ms: 1.25, bwd_ms: 2 }),
      JSON.stringify({ id: 'x/gpu1', fwd_ms: 2, bwd_ms: 5, comm: { fwd_ms: 0.3, bwd_ms: 0.3 } }),
      JSON.stringify({ id: 'x/gpu2', fwd_ms: 1, bwd_ms: 0.5 }),
    ].join('\n'),
  ).sets;
  const cmp = joinPlan(plan, measured, (g) => `x/gpu${g}`);

  it('measured phases replace their predictions; the rest keeps its predicted value', () => {
    const [g0, g1, , g3] = cmp.gpus;
    assert.ok(Math.abs(g0.measured!.totalMs - (1.25 + 2 + 0.5 + 0.1)) < 1e-12, 'unmeasured comm and the extra phase stay predicted');
    assert.equal(g0.measured!.commMeasured, false);
    assert.ok(Math.abs(g1.measured!.totalMs - (2 + 5 + 0.6)) < 1e-12, 'measured comm replaces the predicted comm');
    assert.equal(g1.measured!.commMeasured, true);
    assert.ok(Math.abs(g1.error!.comm! - (0.5 - 0.6) / -0.6) < 1e-12);
    assert.ok(Math.abs(g0.error!.fwd - 0.2) < 1e-12);
    assert.equal(g3.measured, undefined);
    assert.equal(g3.error, undefined);
  });

  it('max, MAPE and Kendall τ over the measured GPUs', () => {
    assert.equal(cmp.measuredGpus, 3);
    assert.equal(cmp.measuredMaxGpu, 1);
    assert.ok(Math.abs(cmp.measuredMaxMs - 7.6) < 1e-12);
    assert.equal(cmp.predictedMaxMs, 6.5);
    assert.equal(cmp.predictedPlanMaxMs, 6.5);
    assert.ok(Math.abs(cmp.maxError - 1.1 / 7.6) < 1e-12);
    assert.ok(Math.abs(cmp.mape.fwd - (0.2 + 0 + 0) / 3) < 1e-12);
    assert.equal(cmp.gpuTau, 1, 'the model orders the three measured GPUs right');
  });

  it('nothing measured: NaN summaries, no crash; GpuReport fields read defensively', () => {
    const empty = joinPlan({ gpus: [{ gpu: 0, tables: [], fwdMs: NaN } as unknown as GpuReport] }, new Map(), () => 'none');
    assert.equal(empty.measuredGpus, 0);
    assert.ok(Number.isNaN(empty.measuredMaxMs) && Number.isNaN(empty.maxError));
    assert.deepEqual(empty.gpus[0].predicted, { fwdMs: 0, bwdMs: 0, commMs: 0, totalMs: 0 });
  });

  it('busiestGpus: highest predicted totals first, ties by GPU', () => {
    assert.deepEqual(busiestGpus(plan, 2), [1, 0]);
    assert.deepEqual(busiestGpus({ gpus: [gpu(0, 1, 1, 0), gpu(1, 1, 1, 0), gpu(2, 2, 2, 0)] }, 8), [2, 0, 1]);
  });
});
