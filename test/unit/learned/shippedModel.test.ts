import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseJsonlSets } from '../../../server/src/cost/jsonlSets';
import { loadKernelModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { AnalyticCorrectedModel } from '../../../server/src/cost/learnedCorrections';
import { GuardedCostModel } from '../../../server/src/cost/guard';
import { LearnedCostModel } from '../../../server/src/cost/learnedModel';
import type { CostEnv } from '../../../server/src/cost/types';
import { device, MODELS_DIR, modelFixtures, relErr, SHIPPED } from './fixtures';

async function shipped(): Promise<LearnedCostModel> {
  // The model registered for (H100-80GB, torch_embedding_bag): the shipped
  // learned model behind its analytic corrections (a no-op for SGD on the preset).
  const { model, warning } = await loadKernelModel(device(), 'torch_embedding_bag', { files: diskModelFiles, modelsDir: MODELS_DIR });
  assert.equal(warning, undefined);
  // Served as AnalyticCorrectedModel(guardModel(learned, base, ranges), analytic):
  // the trust guard inside the analytic corrections (registry.ts).
  assert.ok(model instanceof AnalyticCorrectedModel, `expected the corrected model, got ${model.name}`);
  const guarded = model.base;
  assert.ok(guarded instanceof GuardedCostModel, `expected the guarded model inside, got ${guarded.name}`);
  assert.ok(guarded.inner instanceof LearnedCostModel, `expected the learned model, got ${guarded.inner.name}`);
  return guarded.inner;
}

function fixtureSets() {
  const fx = modelFixtures();
  const text = fx.records.map((r) => JSON.stringify(r)).join('\n');
  const { sets, errors } = parseJsonlSets(text, { device: device() });
  assert.deepEqual(errors, []);
  return { fx, sets };
}

test('the shipped H100 model loads for H100-80GB and says so in its name', async () => {
  const model = await shipped();
  assert.equal(model.source, 'learned');
  assert.match(model.name, /^learned: h100-cost-v\d+$/);
  assert.equal(model.sidecar.gpu_type, 'H100-80GB');
  assert.equal(model.sidecar.kernel, 'torch_embedding_bag', "the shipped model prices PyTorch's embedding bag, and says so");
  const h = model.sidecar.metrics?.heldout;
  assert.ok(h && h.fwd_bwd.n > 100 && h.fwd_bwd.mape > 0 && h.fwd_bwd.mape < 0.5, 'sidecar carries held-out metrics');
  assert.match(model.sidecar.data?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(SHIPPED.onnxPath.endsWith(model.sidecar.onnx.file), true);
});

test('predict() from config numbers reproduces the PyTorch outputs on the fixtures (features computed in TS)', async () => {
  const model = await shipped();
  const { fx, sets } = fixtureSets();
  // Each fixture set has its own batch, so score them one env at a time but
  // also all together where the batch matches, to exercise padding.
  for (let i = 0; i < sets.length; i++) {
    const [c] = await model.predict([sets[i].shards], sets[i].env);
    assert.ok(relErr(c.fwdMs, fx.torch.fwd_ms[i]) <= 1e-4, `${sets[i].id} fwd ${c.fwdMs} vs torch ${fx.torch.fwd_ms[i]}`);
    assert.ok(relErr(c.bwdMs, fx.torch.bwd_ms[i]) <= 1e-4, `${sets[i].id} bwd ${c.bwdMs} vs torch ${fx.torch.bwd_ms[i]}`);
  }
});

test('predictions on held-out fixtures are close to the measurements', async () => {
  const model = await shipped();
  const { sets } = fixtureSets();
  const ape = [];
  for (const s of sets) {
    const [c] = await model.predict([s.shards], s.env);
    const m = s.measured!;
    ape.push(Math.abs(c.fwdMs + c.bwdMs - m.fwdMs - m.bwdMs) / (m.fwdMs + m.bwdMs));
  }
  const mape = ape.reduce((a, b) => a + b, 0) / ape.length;
  assert.ok(mape < 0.3, `fwd+bwd MAPE on fixtures ${mape}`);
});

test('one batched predict() call equals per-set calls, empty sets cost 0, and prepare() agrees', async () => {
  const model = await shipped();
  const { sets } = fixtureSets();
  const env: CostEnv = { ...sets[0].env, batchSize: 65536 };
  const groups = [sets[3].shards, [], sets[sets.length - 1].shards, sets[0].shards.concat(sets[5].shards)];
  const batched = await model.predict(groups, env);
  assert.deepEqual(batched[1], { fwdMs: 0, bwdMs: 0 });
  for (const [i, g] of groups.entries()) {
    if (g.length === 0) continue;
    const [one] = await model.predict([g], env);
    assert.ok(relErr(batched[i].fwdMs, one.fwdMs) <= 1e-5 && relErr(batched[i].bwdMs, one.bwdMs) <= 1e-5);
  }
  const all = groups.flat();
  const scorer = model.prepare(all, env);
  let start = 0;
  for (const [i, g] of groups.entries()) {
    const members = g.map((_, j) => start + j);
    start += g.length;
    const c = scorer.score(members);
    if (g.length === 0) {
      assert.deepEqual(c, { fwdMs: 0, bwdMs: 0 });
      continue;
    }
    assert.ok(relErr(c.fwdMs, batched[i].fwdMs) <= 1e-4, `prepare fwd ${c.fwdMs} vs predict ${batched[i].fwdMs}`);
    assert.ok(relErr(c.bwdMs, batched[i].bwdMs) <= 1e-4, `prepare bwd ${c.bwdMs} vs predict ${batched[i].bwdMs}`);
  }
});

test('fused sets cost less than the sum of their tables alone, as measured (median 0.83x)', async () => {
  const model = await shipped();
  const { sets } = fixtureSets();
  const multi = sets.filter((s) => s.shards.length >= 5);
  assert.ok(multi.length > 0);
  const ratios = [];
  for (const s of multi) {
    const [fused] = await model.predict([s.shards], s.env);
    const alone = await model.predict(
      s.shards.map((sh) => [sh]),
      s.env,
    );
    ratios.push((fused.fwdMs + fused.bwdMs) / alone.reduce((a, c) => a + c.fwdMs + c.bwdMs, 0));
  }
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  assert.ok(mean > 0.3 && mean < 1, `mean fused/sum ratio ${mean} (${ratios.join(', ')})`);
});

test('the sidecar records the ONNX file it was exported with', () => {
  const side = JSON.parse(readFileSync(SHIPPED.sidecarPath, 'utf8')) as { onnx: { sha256: string } };
  assert.equal(createHash('sha256').update(readFileSync(SHIPPED.onnxPath)).digest('hex'), side.onnx.sha256);
});
