/**
 * The three evaluations of the shipped network agree on stored fixtures:
 * PyTorch (outputs stored by export.py), ONNX via onnxruntime-node, and the JS
 * evaluator that planners use (weights from the sidecar).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CostNetwork } from '../../../server/src/cost/learnedNetwork';
import { loadOnnxRuntimeWithoutTelemetry } from '../../../server/src/cost/onnxRuntime';
import { parseSidecar } from '../../../server/src/cost/learnedSidecar';
import { modelFixtures, relErr, SHIPPED } from './fixtures';

const TOL = 1e-4;

async function onnxOutputs(): Promise<{ fwd: Float32Array; bwd: Float32Array }> {
  const ort = loadOnnxRuntimeWithoutTelemetry();
  const fx = modelFixtures();
  const s = fx.features.length;
  const t = fx.features[0].length;
  const f = fx.features[0][0].length;
  const session = await ort.InferenceSession.create(SHIPPED.onnxPath);
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    features: new ort.Tensor('float32', Float32Array.from(fx.features.flat(2)), [s, t, f]),
    mask: new ort.Tensor('float32', Float32Array.from(fx.mask.flat()), [s, t]),
  };
  // A network trained on the analytic base takes its ln ms per set.
  if (fx.base_log) feeds.base_log = new ort.Tensor('float32', Float32Array.from(fx.base_log.flat()), [s, 2]);
  const out = await session.run(feeds);
  return { fwd: out.fwd_ms.data as Float32Array, bwd: out.bwd_ms.data as Float32Array };
}

test('ONNX outputs equal the PyTorch outputs on the fixtures (1e-4 relative)', async () => {
  const fx = modelFixtures();
  const { fwd, bwd } = await onnxOutputs();
  assert.equal(fwd.length, fx.torch.fwd_ms.length);
  assert.ok(
    fx.mask.some((row) => row.includes(0)),
    'fixtures include padded sets',
  );
  fx.torch.fwd_ms.forEach((v, i) => assert.ok(relErr(fwd[i], v) <= TOL, `fwd[${i}] onnx ${fwd[i]} torch ${v}`));
  fx.torch.bwd_ms.forEach((v, i) => assert.ok(relErr(bwd[i], v) <= TOL, `bwd[${i}] onnx ${bwd[i]} torch ${v}`));
});

test('the JS evaluator equals ONNX on the same fixtures', async () => {
  const fx = modelFixtures();
  const parsed = parseSidecar(readFileSync(SHIPPED.sidecarPath, 'utf8'));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  const net = new CostNetwork(parsed.sidecar);
  const { fwd, bwd } = await onnxOutputs();
  fx.features.forEach((set, i) => {
    // Float32 inputs, as ONNX sees them.
    const enc = set.filter((_, j) => fx.mask[i][j] === 1).map((row) => net.encode(Float32Array.from(row)));
    const c = net.score(enc);
    if (fx.base_log) {
      c.fwdMs *= Math.exp(Math.fround(fx.base_log[i][0]));
      c.bwdMs *= Math.exp(Math.fround(fx.base_log[i][1]));
    }
    assert.ok(relErr(c.fwdMs, fwd[i]) <= TOL, `fwd[${i}] js ${c.fwdMs} onnx ${fwd[i]}`);
    assert.ok(relErr(c.bwdMs, bwd[i]) <= TOL, `bwd[${i}] js ${c.bwdMs} onnx ${bwd[i]}`);
  });
});
