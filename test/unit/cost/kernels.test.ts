/**
 * Cost models per (GPU type, kernel): the registry's dispatch, the sum of a
 * GPU's kernel groups, the learned model's analytic corrections (optimizer,
 * device overrides), and the labels every surface shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { loadConfig } from '../../../server/src/config/load';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { KERNELS, type DeviceSpec, type Kernel, type Optimizer } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { FBGEMM_PROVISIONAL_ERROR } from '../../../server/src/cost/errorBands';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { GuardedCostModel } from '../../../server/src/cost/guard';
import { KernelDispatchModel } from '../../../server/src/cost/kernelDispatch';
import { AnalyticCorrectedModel } from '../../../server/src/cost/learnedCorrections';
import { LearnedCostModel } from '../../../server/src/cost/learnedModel';
import { loadCostModel, loadKernelModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import type { ComputeCost, CostEnv, CostModel, Shard } from '../../../server/src/cost/types';
import { analyzeDocument, createCostModelCache } from '../../../server/src/engine';

const MODELS = path.resolve(__dirname, '../../../models');
const tmp = mkdtempSync(path.join(tmpdir(), 'shardlens-kernels-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function device(type = 'H100-80GB', over: Partial<DeviceSpec> = {}): DeviceSpec {
  return { type, count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS[type], ...over };
}
function env(optimizer: Optimizer = 'sgd', d = device()): CostEnv {
  return { batchSize: 65536, optimizer, device: d };
}
function shard(kernel: Kernel, over: Partial<Shard> = {}): Shard {
  return { table: `t-${kernel}`, rows: 2_000_000, dim: 64, pooling: 8, zipf: 0.9, dtypeBytes: 4, kernel, ...over };
}
function close(a: ComputeCost, b: ComputeCost, tol: number, what: string): void {
  const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-12);
  assert.ok(rel(a.fwdMs, b.fwdMs) <= tol && rel(a.bwdMs, b.bwdMs) <= tol, `${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}
const all = () => loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS, kernels: KERNELS });
/** An analytic model as the registry serves it: through the guard (bounds and ± only, no ranges). */
function served(m: CostModel, kind: new (...args: never[]) => CostModel): boolean {
  return m instanceof GuardedCostModel && m.inner instanceof kind && m.ranges === undefined;
}

test('registry: each (GPU type, kernel) has its model; only a missing learned torch_embedding_bag model warns', async () => {
  const { model, warning } = await all();
  assert.equal(warning, undefined);
  assert.ok(model instanceof KernelDispatchModel);
  const torch = model.modelFor('torch_embedding_bag');
  // Served as corrections(guard(learned)) (registry.ts): the guard inside, on the SGD number.
  assert.ok(torch instanceof AnalyticCorrectedModel && torch.base instanceof GuardedCostModel && torch.base.inner instanceof LearnedCostModel, torch.name);
  assert.ok(torch.base.fallback !== undefined && torch.base.ranges !== undefined, 'the learned model is guarded by its ranges and its analytic base');
  assert.ok(served(model.modelFor('fbgemm_tbe'), FbgemmCostModel));
  assert.equal((model.modelFor('fbgemm_tbe') as GuardedCostModel).error, FBGEMM_PROVISIONAL_ERROR, 'FBGEMM carries its provisional ±');
  assert.equal(model.modelFor('fbgemm_tbe_uvm_caching'), model.modelFor('fbgemm_tbe'), 'one TBE model prices both TBE kernels');
  assert.match(model.name, /^fbgemm-tbe analytic: H100-80GB \[fbgemm_tbe, fbgemm_tbe_uvm_caching\] \+ learned: h100-cost-v\d+ \[torch_embedding_bag\]$/);

  const tbeOnly = await loadCostModel(device('A100-80GB'), { files: diskModelFiles, modelsDir: MODELS, kernels: ['fbgemm_tbe'] });
  assert.equal(tbeOnly.warning, undefined, "FBGEMM's kernel has its own model on every GPU: nothing is missing");
  assert.equal(tbeOnly.model.name, 'fbgemm-tbe analytic: A100-80GB [fbgemm_tbe]');
  assert.equal(tbeOnly.model.source, 'analytic');

  const torchA100 = await loadCostModel(device('A100-80GB'), { files: diskModelFiles, modelsDir: MODELS, kernels: ['fbgemm_tbe', 'torch_embedding_bag'] });
  assert.match(torchA100.warning ?? '', /^torch_embedding_bag tables: no learned cost model for A100-80GB; using the analytic model/);
  assert.ok(served((torchA100.model as KernelDispatchModel).modelFor('torch_embedding_bag'), AnalyticCostModel));

  const k = await loadKernelModel(device(), 'fbgemm_tbe', { files: diskModelFiles, modelsDir: MODELS });
  assert.ok(served(k.model, FbgemmCostModel));
});

test('a set mixing kernels costs the sum of its kernel groups, in predict and in prepare', async () => {
  const { model } = await all();
  const d = model as KernelDispatchModel;
  const set = [
    shard('fbgemm_tbe'),
    shard('torch_embedding_bag', { dim: 128 }),
    shard('fbgemm_tbe_uvm_caching', { cacheLoadFactor: 0.1 }),
    shard('fbgemm_tbe', { rows: 10_000, dim: 16 }),
    shard('torch_embedding_bag', { rows: 40_000, pooling: 1 }),
  ];
  const e = env();
  const [whole] = await model.predict([set], e);
  const sum = { fwdMs: 0, bwdMs: 0 };
  for (const k of KERNELS) {
    const group = set.filter((s) => s.kernel === k);
    const [c] = await d.modelFor(k).predict([group], e);
    sum.fwdMs += c.fwdMs;
    sum.bwdMs += c.bwdMs;
  }
  close(whole, sum, 1e-9, 'set = sum of its kernel groups');
  // Not the same as pricing the PyTorch tables together with the TBE ones.
  const [fused] = await model.predict([set.filter((s) => s.kernel !== 'fbgemm_tbe_uvm_caching')], e);
  assert.ok(fused.fwdMs < whole.fwdMs, "dropping a group lowers the GPU's cost");

  const scorer = model.prepare(set, e);
  close(scorer.score([0, 1, 2, 3, 4]), whole, 1e-4, 'prepare agrees with predict (learned JS vs ONNX)');
  const [tbe] = await d.modelFor('fbgemm_tbe').predict([[set[0], set[3]]], e);
  close(scorer.score([3, 0]), tbe, 1e-9, "a one-kernel subset is that kernel's model");
  assert.deepEqual(scorer.score([]), { fwdMs: 0, bwdMs: 0 });
  close(scorer.score([0, 99, -1, 3]), tbe, 1e-9, 'indices outside the prepared list are ignored');
  // Reused buffers: a long call then a short one gives the short one's answer.
  scorer.score([0, 1, 2, 3, 4]);
  close(scorer.score([0, 3]), tbe, 1e-9, 'buffers reset between calls');
  // Several sets in one predict: each its own sum.
  const [s0, s1, s2] = await model.predict([set.slice(0, 2), [], set.slice(2)], e);
  close(s0, scorer.score([0, 1]), 1e-4, 'set 0');
  assert.deepEqual(s1, { fwdMs: 0, bwdMs: 0 });
  close(s2, scorer.score([2, 3, 4]), 1e-4, 'set 2');
});

test('the optimizer changes the numbers of every kernel (H100 learned, A100 analytic, FBGEMM)', async () => {
  const cases: [string, CostModel, Kernel][] = [];
  const h100 = (await all()).model;
  const a100 = (await loadCostModel(device('A100-80GB'), { files: diskModelFiles, modelsDir: MODELS, kernels: KERNELS })).model;
  for (const k of KERNELS) cases.push([`H100 ${k}`, h100, k]);
  cases.push(['A100 torch_embedding_bag (analytic)', a100, 'torch_embedding_bag']);
  for (const [what, model, kernel] of cases) {
    const d = model === a100 ? device('A100-80GB') : device();
    const s = [shard(kernel, { cacheLoadFactor: kernel === 'fbgemm_tbe_uvm_caching' ? 0.2 : undefined })];
    const by = new Map<Optimizer, ComputeCost>();
    for (const o of ['sgd', 'adagrad', 'rowwise_adagrad', 'adam'] as Optimizer[]) by.set(o, (await model.predict([s], env(o, d)))[0]);
    const bwd = [...by.values()].map((c) => c.bwdMs);
    assert.equal(new Set(bwd).size, 4, `${what}: four optimizers, four backward times ${bwd.join(', ')}`);
    assert.ok(by.get('sgd')!.bwdMs < by.get('rowwise_adagrad')!.bwdMs && by.get('adagrad')!.bwdMs < by.get('adam')!.bwdMs, `${what}: ${bwd.join(', ')}`);
    assert.equal(by.get('adam')!.fwdMs, by.get('sgd')!.fwdMs, `${what}: the optimizer runs in the backward only`);
  }
});

test('learned + the analytic optimizer term: exactly L + A(optimizer) − A(sgd), and the notes say so', async () => {
  const { model } = await loadKernelModel(device(), 'torch_embedding_bag', { files: diskModelFiles, modelsDir: MODELS });
  assert.ok(model instanceof AnalyticCorrectedModel);
  const learned = model.base;
  const analytic = new AnalyticCostModel('H100-80GB');
  const sets = [[shard('torch_embedding_bag')], [shard('torch_embedding_bag', { dim: 32, rows: 50_000 }), shard('torch_embedding_bag', { pooling: 30 })]];
  const [l] = [await learned.predict(sets, env('sgd'))];
  assert.deepEqual(await model.predict(sets, env('sgd')), l, 'SGD on the preset: the learned numbers as they are');
  assert.deepEqual(model.notes(env('sgd')), []);
  const adam = await model.predict(sets, env('adam'));
  const aAdam = await analytic.predict(sets, env('adam'));
  const aSgd = await analytic.predict(sets, env('sgd'));
  sets.forEach((_, i) => {
    close(adam[i], { fwdMs: l[i].fwdMs, bwdMs: l[i].bwdMs + aAdam[i].bwdMs - aSgd[i].bwdMs }, 1e-12, `set ${i}`);
    assert.ok(adam[i].bwdMs > l[i].bwdMs);
  });
  assert.deepEqual(model.notes(env('adam')), ['optimizer term (adam) from the analytic model (analytic: H100-80GB): the learned model was trained on SGD steps']);
  const sc = model.prepare(sets.flat(), env('adam'));
  close(sc.score([0]), adam[0], 1e-4, 'prepare agrees');
  close(sc.score([1, 2]), adam[1], 1e-4, 'prepare agrees');
});

test("device overrides move the learned model by the analytic model's ratio; the notes name the keys", async () => {
  const { model } = await loadKernelModel(device(), 'torch_embedding_bag', { files: diskModelFiles, modelsDir: MODELS });
  const c = model as AnalyticCorrectedModel;
  const analytic = new AnalyticCostModel('H100-80GB');
  const sets = [[shard('torch_embedding_bag', { rows: 20_000_000, dim: 128, pooling: 40, zipf: 0.3 })]];
  const [l] = await c.base.predict(sets, env());
  for (const over of [{ hbmGBps: 1675 }, { sms: 66 }, { l2Bytes: 5_000_000 }, { hbmGBps: 6700, sms: 264 }] as Partial<DeviceSpec>[]) {
    const e = env('sgd', device('H100-80GB', over));
    const [got] = await model.predict(sets, e);
    const [aDev] = await analytic.predict(sets, e);
    const [aRef] = await analytic.predict(sets, env());
    close(got, { fwdMs: (l.fwdMs * aDev.fwdMs) / aRef.fwdMs, bwdMs: (l.bwdMs * aDev.bwdMs) / aRef.bwdMs }, 1e-9, JSON.stringify(over));
    const keys = Object.keys(over).map((k) => ({ hbmGBps: 'hbm_gbps', sms: 'sms', l2Bytes: 'l2_bytes' })[k]!);
    const note = model.notes!(e).join(' ');
    for (const key of keys) assert.match(note, new RegExp(`\\b${key}\\b`));
    assert.match(note, /applied by the analytic model's ratio/);
  }
  const [slow] = await model.predict(sets, env('sgd', device('H100-80GB', { hbmGBps: 1675 })));
  assert.ok(slow.fwdMs > l.fwdMs && slow.bwdMs > l.bwdMs, 'half the bandwidth is slower');
  const [fast] = await model.predict(sets, env('sgd', device('H100-80GB', { hbmGBps: 6700, sms: 264 })));
  assert.ok(fast.fwdMs < l.fwdMs, 'more bandwidth and SMs are faster');
  // Overrides that compute does not read (memory, links) change nothing and are not mentioned.
  const e = env('sgd', device('H100-80GB', { memoryBytes: 40e9, nvlinkGBps: 100 }));
  assert.deepEqual(await model.predict(sets, e), [l]);
  assert.deepEqual(model.notes!(e), []);
});

test('a user model prices the kernel its sidecar names; an unknown kernel is refused with a message', async () => {
  const side = JSON.parse(readFileSync(path.join(MODELS, 'h100-cost.json'), 'utf8')) as Record<string, unknown>;
  const write = (name: string, edit: (s: Record<string, unknown>) => void) => {
    copyFileSync(path.join(MODELS, 'h100-cost.onnx'), path.join(tmp, `${name}.onnx`));
    const s = structuredClone(side);
    edit(s);
    writeFileSync(path.join(tmp, `${name}.json`), JSON.stringify(s));
    return path.join(tmp, `${name}.onnx`);
  };
  const tbe = write('tbe', (s) => {
    s.kernel = 'fbgemm_tbe';
    s.name = 'my-tbe-v1';
  });
  const r = await loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS, modelPaths: { 'H100-80GB': [tbe] }, kernels: KERNELS });
  const d = r.model as KernelDispatchModel;
  assert.equal(d.modelFor('fbgemm_tbe').name, 'learned: my-tbe-v1');
  assert.equal(d.modelFor('fbgemm_tbe').source, 'learned');
  assert.match(d.modelFor('torch_embedding_bag').name, /^learned: h100-cost-v\d+$/, 'the shipped torch model still prices torch tables');
  assert.ok(served(d.modelFor('fbgemm_tbe_uvm_caching'), FbgemmCostModel));

  const unused = await loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS, modelPaths: { 'H100-80GB': tbe }, kernels: ['torch_embedding_bag'] });
  assert.match(unused.warning ?? '', /learned: my-tbe-v1 prices fbgemm_tbe, which no table here runs/);

  const bad = write('bad', (s) => {
    s.kernel = 'cuda_magic';
  });
  const b = await loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS, modelPaths: { 'H100-80GB': bad }, kernels: ['torch_embedding_bag'] });
  assert.match(b.warning ?? '', /sidecar "kernel" is "cuda_magic"; expected one of fbgemm_tbe, fbgemm_tbe_uvm_caching, torch_embedding_bag/);
  assert.equal(b.model.source, 'analytic');
});

test('a config and the same config on torch_embedding_bag: different numbers, different labels', async () => {
  const text = (kernel?: string) => `version: 1
batch_size: 65536
optimizer: rowwise_adagrad
${kernel ? `kernel: ${kernel}\n` : ''}devices:
  type: H100-80GB
  count: 2
tables:
  - {name: a, rows: 5_000_000, dim: 128, pooling: 20, zipf: 1.0}
  - {name: b, rows: 100_000, dim: 32, pooling: 2, zipf: 0.5}
placement:
  a: 0
  b: 1
`;
  const models = createCostModelCache((d, kernels) => loadCostModel(d, { files: diskModelFiles, modelsDir: MODELS, kernels }));
  const reader = { readFile: () => undefined };
  const tbe = await analyzeDocument('/w/a.shard.yaml', text(), reader, models);
  const torch = await analyzeDocument('/w/a.shard.yaml', text('torch_embedding_bag'), reader, models);
  assert.deepEqual(
    tbe.diagnostics.filter((x) => x.severity === 'error'),
    [],
  );
  assert.equal(tbe.costModel!.name, 'fbgemm-tbe analytic: H100-80GB [fbgemm_tbe]');
  assert.match(torch.costModel!.name, /^learned: h100-cost-v\d+ \[torch_embedding_bag\]$/);
  assert.deepEqual(
    tbe.costModel!.kernels.map((k) => [k.kernel, k.source]),
    [['fbgemm_tbe', 'analytic']],
  );
  assert.deepEqual(
    torch.costModel!.kernels.map((k) => [k.kernel, k.source]),
    [['torch_embedding_bag', 'learned']],
  );
  assert.match(torch.costModel!.kernels[0].notes.join(), /optimizer term \(rowwise_adagrad\) from the analytic model/);
  for (const name of ['a', 'b']) {
    const x = tbe.tableCosts.get(name)!;
    const y = torch.tableCosts.get(name)!;
    assert.equal(x.kernel, 'fbgemm_tbe');
    assert.equal(y.kernel, 'torch_embedding_bag');
    assert.ok(y.bwdMs > 2 * x.bwdMs, `${name}: PyTorch's sparse backward is far dearer than TBE's fused one (${y.bwdMs} vs ${x.bwdMs})`);
  }
  assert.notEqual(tbe.current!.maxMs, torch.current!.maxMs);
  // Parsing does not depend on the model: the config loads either way.
  assert.equal(loadConfig('/w/a.shard.yaml', text('torch_embedding_bag'), reader).config!.tables[0].kernel, 'torch_embedding_bag');
});
