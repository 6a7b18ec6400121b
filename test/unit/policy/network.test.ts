/**
 * The three evaluations of the shipped policy agree on the exported fixtures:
 * PyTorch (outputs stored by models/policy/export.py), ONNX via
 * onnxruntime-node, and the JS evaluator the planner uses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadOnnxRuntimeWithoutTelemetry } from '../../../server/src/cost/onnxRuntime';
import { PolicyNetwork } from '../../../server/src/plan/policyNetwork';
import { validatePolicySidecar } from '../../../server/src/plan/policySidecar';
import { policyFixtures, POLICY_ONNX, POLICY_SIDECAR } from './fixtures';

const TOL = 1e-4;

function network(): PolicyNetwork {
  const v = validatePolicySidecar(JSON.parse(readFileSync(POLICY_SIDECAR, 'utf8')));
  assert.ok(v.ok, v.ok ? '' : v.error);
  return new PolicyNetwork(v.sidecar);
}

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= TOL * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('JS policy logits and encodings equal PyTorch on the fixtures (1e-4)', () => {
  const net = network();
  const fx = policyFixtures();
  assert.ok(fx.steps.length >= 3);
  assert.ok(
    fx.steps.some((s) => s.logits.length >= 64),
    'a fixture has 64 GPUs',
  );
  for (const [k, s] of fx.steps.entries()) {
    const out = net.logits(s.table_x, s.gpu_pooled, s.gpu_scalars, s.cross);
    assert.equal(out.logits.length, s.logits.length);
    out.logits.forEach((v, g) => close(v, s.logits[g], `step ${k} logit ${g}`));
    s.table_enc.forEach((v, j) => close(out.enc[j], v, `step ${k} enc ${j}`));
  }
});

test('ONNX policy (dynamic GPU count) equals PyTorch and JS on the fixtures (1e-4)', async () => {
  const ort = loadOnnxRuntimeWithoutTelemetry();
  const session = await ort.InferenceSession.create(POLICY_ONNX);
  const net = network();
  const fx = policyFixtures();
  for (const [k, s] of fx.steps.entries()) {
    const d = s.gpu_pooled.length;
    const out = await session.run({
      table_x: new ort.Tensor('float32', Float32Array.from(s.table_x), [1, s.table_x.length]),
      gpu_pooled: new ort.Tensor('float32', Float32Array.from(s.gpu_pooled.flat()), [d, s.gpu_pooled[0].length]),
      gpu_scalars: new ort.Tensor('float32', Float32Array.from(s.gpu_scalars.flat()), [d, s.gpu_scalars[0].length]),
      cross: new ort.Tensor('float32', Float32Array.from(s.cross.flat()), [d, s.cross[0].length]),
    });
    const logits = out.logits.data as Float32Array;
    assert.equal(logits.length, d);
    const js = net.logits(s.table_x, s.gpu_pooled, s.gpu_scalars, s.cross).logits;
    logits.forEach((v, g) => {
      close(v, s.logits[g], `step ${k} onnx/torch ${g}`);
      close(js[g], v, `step ${k} js/onnx ${g}`);
    });
  }
});

test('a sidecar with the wrong features or shapes is refused with a message', () => {
  const raw = JSON.parse(readFileSync(POLICY_SIDECAR, 'utf8'));
  assert.ok(validatePolicySidecar(raw).ok);
  const badFeatures = validatePolicySidecar({ ...raw, table_features: ['x'] });
  assert.ok(!badFeatures.ok && /features/.test(badFeatures.error));
  const badShape = validatePolicySidecar({ ...raw, weights: { ...raw.weights, score: [raw.weights.score[0], { weight: [[1]], bias: [0] }] } });
  assert.ok(!badShape.ok && /score\[1\]/.test(badShape.error));
  assert.ok(!validatePolicySidecar(null).ok);
  assert.ok(!validatePolicySidecar({ ...raw, sidecar_version: 99 }).ok);
});

test('the planner fast path (stepPart + logitFast) equals the straight logits', () => {
  const net = network();
  const fx = policyFixtures();
  for (const [k, s] of fx.steps.entries()) {
    // Cross features as the planner builds them: gaps to the least/most costly GPU, remaining share.
    const cost = s.gpu_scalars.map((v) => v[1]);
    const cmin = Math.min(...cost);
    const cmax = Math.max(...cost);
    const remaining = s.cross[0][2];
    const cross = cost.map((c) => [c - cmin, cmax - c, remaining]);
    const straight = net.logits(s.table_x, s.gpu_pooled, s.gpu_scalars, cross).logits;
    const enc = net.encode(s.table_x);
    const step = net.stepPart(net.tablePart(enc, s.table_x, new Float64Array(net.hidden)), cmin, cmax, remaining, new Float64Array(net.hidden));
    const gp = new Float64Array(net.hidden);
    s.gpu_pooled.forEach((p, g) => {
      const fast = net.logitFast(net.gpuPart(p, s.gpu_scalars[g], gp), step, cost[g]);
      assert.ok(Math.abs(fast - straight[g]) <= 1e-9 * Math.max(1, Math.abs(straight[g])), `step ${k} GPU ${g}: ${fast} vs ${straight[g]}`);
    });
  }
});
