/**
 * How the registry composes a kernel's served model (registry.ts): the learned
 * model inside the trust guard, the analytic optimizer and device terms on the
 * guarded SGD number, the kernel dispatch (range notes per table kernel, a
 * mixed GPU's ± in quadrature), calibration outermost keeping ± and notes; and
 * FBGEMM's UVM cache priced from a row block's own rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { KERNELS, type DeviceSpec, type Kernel, type Optimizer, type TableSpec } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { calibrated } from '../../../server/src/cost/calibration';
import { fbgemmShardTraffic } from '../../../server/src/cost/fbgemm';
import { GuardedCostModel } from '../../../server/src/cost/guard';
import { KernelDispatchModel } from '../../../server/src/cost/kernelDispatch';
import { AnalyticCorrectedModel } from '../../../server/src/cost/learnedCorrections';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { rowBlockStats } from '../../../server/src/cost/rowBlocks';
import { rowShards } from '../../../server/src/cost/shards';
import type { ComputeCost, CostEnv, Shard } from '../../../server/src/cost/types';
import { blockUvmCacheMisses, uvmCacheMisses } from '../../../server/src/cost/uvmCache';

const MODELS = path.resolve(__dirname, '../../../models');
const device: DeviceSpec = { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
const env = (optimizer: Optimizer = 'sgd', d: DeviceSpec = device): CostEnv => ({ batchSize: 65536, optimizer, device: d });
const total = (c: ComputeCost) => c.fwdMs + c.bwdMs;

function shard(kernel: Kernel, over: Partial<Shard> = {}): Shard {
  return { table: `t-${kernel}`, rows: 2_000_000, dim: 64, pooling: 8, zipf: 0.9, dtypeBytes: 4, kernel, ...over };
}

async function served(): Promise<KernelDispatchModel> {
  const { model, warning } = await loadCostModel(device, { files: diskModelFiles, modelsDir: MODELS, kernels: KERNELS });
  assert.equal(warning, undefined);
  assert.ok(model instanceof KernelDispatchModel);
  return model;
}

test('the optimizer term is added to the guarded SGD number: the guard never sees the optimizer', async () => {
  const torch = (await served()).modelFor('torch_embedding_bag');
  assert.ok(torch instanceof AnalyticCorrectedModel && torch.base instanceof GuardedCostModel);
  const guard = torch.base;
  const analytic = new AnalyticCostModel('H100-80GB');
  // One set inside the ranges, one outside (rows 4× past the largest measured table: the guard fades to its base).
  const sets = [[shard('torch_embedding_bag')], [shard('torch_embedding_bag', { rows: 2e8 })]];
  const g = await guard.predict(sets, env('sgd'));
  const aAdam = await analytic.predict(sets, env('adam'));
  const aSgd = await analytic.predict(sets, env('sgd'));
  const got = await torch.predict(sets, env('adam'));
  sets.forEach((_, i) => {
    const want = g[i].bwdMs + aAdam[i].bwdMs - aSgd[i].bwdMs;
    assert.ok(Math.abs(got[i].bwdMs - want) <= 1e-9 * want, `set ${i}: ${got[i].bwdMs} vs guarded sgd + term ${want}`);
    assert.equal(got[i].fwdMs, g[i].fwdMs);
  });
  // The other order (the guard seeing adam) carries the optimizer multiplicatively: another number.
  const [guardAdam] = await guard.predict([sets[0]], env('adam'));
  assert.ok(Math.abs(guardAdam.bwdMs - got[0].bwdMs) > 1e-6 * got[0].bwdMs, 'order matters, and the registry adds the term once');
  // Its ±: the guarded number's and the analytic term's, in quadrature.
  const term = total(aAdam[0]) - total(aSgd[0]);
  const sigma = Math.hypot(g[0].uncertainty! * total(g[0]), aAdam[0].uncertainty! * term);
  assert.ok(Math.abs(got[0].uncertainty! - sigma / total(got[0])) < 1e-12, `${got[0].uncertainty}`);
  assert.ok(got[0].uncertainty! > (g[0].uncertainty! * total(g[0])) / total(got[0]), 'the term adds error');
  // prepare gives the same numbers and ±.
  const sc = torch.prepare(sets.flat(), env('adam'));
  for (const [i, m] of [
    [0, [0]],
    [1, [1]],
  ] as const) {
    const c = sc.score(m);
    assert.ok(Math.abs(c.bwdMs / got[i].bwdMs - 1) < 1e-4 && Math.abs(c.uncertainty! - got[i].uncertainty!) < 1e-3, `prepare set ${i}`);
  }
});

test("range notes come from the model of each table's kernel, the optimizer note from the user's env", async () => {
  const model = await served();
  const far = { rows: 1e9, dim: 24 };
  const torchNotes = model.rangeNotes(shard('torch_embedding_bag', far), env('adam'), 'fp32');
  const by = new Map(torchNotes.map((n) => [n.input, n]));
  assert.match(by.get('rows')!.message, /rows 1,000,000,000 is outside what learned: h100-cost-v\d+ was measured on/);
  assert.equal(by.get('rows')!.level, undefined, 'outside a range: a warning');
  assert.equal(by.get('dim')!.level, 'info', 'a dim inside 4–256 that was not measured: a note');
  assert.match(by.get('optimizer')!.message, /optimizer adam was never measured .*priced with sgd, plus the optimizer's extra work/);
  for (const k of ['fbgemm_tbe', 'fbgemm_tbe_uvm_caching'] as Kernel[]) {
    assert.deepEqual(model.rangeNotes(shard(k, far), env('adam'), 'fp32'), [], `${k}: priced by FBGEMM's analytic model, no training ranges`);
  }
  assert.match(model.setSizeNote(60, 'torch_embedding_bag')!.message, /60 tables on one GPU is more than learned/);
  assert.equal(model.setSizeNote(60, 'fbgemm_tbe'), undefined);
  assert.equal(model.setSizeNote(47, 'torch_embedding_bag'), undefined);
});

test('a GPU running several kernels: costs add up, the ± combines the groups in quadrature (predict = prepare)', async () => {
  const model = await served();
  const set = [
    shard('fbgemm_tbe'),
    shard('torch_embedding_bag', { dim: 128 }),
    shard('fbgemm_tbe', { rows: 30_000, dim: 16 }),
    shard('torch_embedding_bag', { rows: 40_000, pooling: 1 }),
  ];
  const e = env();
  const [whole] = await model.predict([set], e);
  let variance = 0;
  let sum = 0;
  for (const k of ['fbgemm_tbe', 'torch_embedding_bag'] as Kernel[]) {
    const [c] = await model.modelFor(k).predict([set.filter((s) => s.kernel === k)], e);
    assert.ok(c.uncertainty! > 0, `${k} reports a ±`);
    variance += (c.uncertainty! * total(c)) ** 2;
    sum += total(c);
  }
  assert.ok(Math.abs(total(whole) / sum - 1) < 1e-9);
  assert.ok(Math.abs(whole.uncertainty! - Math.sqrt(variance) / sum) < 1e-12, `${whole.uncertainty} vs ${Math.sqrt(variance) / sum}`);
  const scored = model.prepare(set, e).score([0, 1, 2, 3]);
  assert.ok(Math.abs(scored.uncertainty! - whole.uncertainty!) < 1e-3, `prepare ${scored.uncertainty} vs predict ${whole.uncertainty}`);
  // One kernel alone is that kernel's own ±.
  const [tbe] = await model.predict([[set[0], set[2]]], e);
  const [tbeOwn] = await model.modelFor('fbgemm_tbe').predict([[set[0], set[2]]], e);
  assert.equal(tbe.uncertainty, tbeOwn.uncertainty);
});

test("calibration, outermost, keeps the served model's ± and its range notes", async () => {
  const model = await served();
  const line = { scale: 1, offset: Math.log(1.3) };
  const cal = calibrated(
    model,
    {
      base_model: model.name,
      kernels: { torch_embedding_bag: { fwd: line, bwd: line, train: 20, heldout: 5, mape: { train_before: 0.3, train_after: 0.1, heldout_before: 0.3, heldout_after: 0.1 } } },
    },
    { file: 'c.json' },
  );
  const set = [shard('torch_embedding_bag')];
  const [base] = await model.predict([set], env());
  const [c] = await cal.predict([set], env());
  assert.ok(Math.abs(total(c) / total(base) - 1.3) < 1e-9);
  assert.equal(c.uncertainty, base.uncertainty);
  assert.equal(cal.prepare(set, env()).score([0]).uncertainty, model.prepare(set, env()).score([0]).uncertainty);
  const mixed = [shard('torch_embedding_bag'), shard('fbgemm_tbe')];
  const [m] = await cal.predict([mixed], env());
  const [mb] = await model.predict([mixed], env());
  assert.equal(m.uncertainty, mb.uncertainty);
  assert.deepEqual(cal.rangeNotes!(shard('torch_embedding_bag', { rows: 1e9 }), env(), 'fp32'), model.rangeNotes(shard('torch_embedding_bag', { rows: 1e9 }), env(), 'fp32'));
  assert.ok(cal.setSizeNote!(100, 'torch_embedding_bag'));
});

test("FBGEMM's UVM cache misses of a row block come from the block's own rows", () => {
  const t: TableSpec = {
    name: 'u',
    rows: 4_000_000,
    dim: 64,
    pooling: 10,
    zipf: 1.1,
    dtype: 'fp32',
    kernel: 'fbgemm_tbe_uvm_caching',
    ids: 'hashed',
    sharding: ['row'],
    cacheLoadFactor: 0.05,
  };
  const blocks = rowShards(t, 4).map((b) => ({ ...b, cacheLoadFactor: 0.05 }));
  const e = env();
  // Hashed ids: block 0 holds rank 0 and with it the head of the distribution.
  const misses = blocks.map((b) => blockUvmCacheMisses(rowBlockStats(b, e.batchSize)!, 0.05 * b.rows));
  const host = blocks.map((b) => fbgemmShardTraffic(b, e).hostBytes);
  host.forEach((h, i) => assert.ok(Math.abs(h - 2 * misses[i] * 32 * Math.ceil((64 * 4) / 32)) < 1e-6 * h, `block ${i}: host bytes = 2 × misses × row bytes`));
  // Each block's own cache: the misses are bounded by its distinct rows, and
  // a bigger cache never misses more.
  blocks.forEach((b, i) => {
    const stats = rowBlockStats(b, e.batchSize)!;
    assert.ok(misses[i] > 0 && misses[i] <= stats.unique);
    assert.ok(blockUvmCacheMisses(stats, 0.5 * b.rows) <= misses[i]);
    assert.equal(blockUvmCacheMisses(stats, b.rows), 0, 'a cache holding the whole block never misses');
  });
  // A block covering the whole table is the table: the same misses as the table's model (bucketing aside).
  const one = rowShards(t, 1)[0];
  const whole = blockUvmCacheMisses(rowBlockStats(one, e.batchSize)!, 0.05 * t.rows);
  const table = uvmCacheMisses(t.rows, e.batchSize * t.pooling, t.zipf, 0.05 * t.rows);
  assert.ok(Math.abs(whole / table - 1) < 0.03, `whole-table block ${whole} vs table ${table}`);
});
