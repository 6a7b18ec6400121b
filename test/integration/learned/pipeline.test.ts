/**
 * CI smoke test of the Python pipeline (models/shardlens_cost): its unit tests,
 * then a tiny training run on the committed H200 sample, ONNX export, and
 * loading the result with onnxruntime-node. Needs a Python 3 with torch and
 * onnx: $PYTHON, else python3 on PATH (.ci/run installs Debian's python3-torch
 * and python3-onnx and sets PYTHON=/usr/bin/python3).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { GuardedCostModel } from '../../../server/src/cost/guard';
import { KernelDispatchModel } from '../../../server/src/cost/kernelDispatch';
import { AnalyticCorrectedModel } from '../../../server/src/cost/learnedCorrections';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { pythonWith } from '../../../server/src/io/python';
import { device, MODELS_DIR, relErr } from '../../unit/learned/fixtures';

const python = pythonWith(['torch', 'onnx']);
const tmp = mkdtempSync(path.join(tmpdir(), 'shardlens-pipeline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function py(args: string[]): { status: number | null; out: string } {
  if (!python.ok) assert.fail(python.why);
  const r = spawnSync(python.python, args, { cwd: MODELS_DIR, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('the Python toolchain is installed (torch + onnx for $PYTHON, else python3)', () => {
  const r = py(['-c', 'import torch, onnx; print(torch.__version__, onnx.__version__)']);
  assert.equal(r.status, 0, `${python.python} found torch and onnx but cannot import them:\n${r.out}`);
});

test('Python unit tests of the collector, features and network pass', () => {
  const r = py(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /OK/);
});

test('smoke training + export produce an ONNX model that onnxruntime-node loads and runs', async () => {
  const data = path.join(MODELS_DIR, 'data', 'h200-sample.jsonl');
  const ckpt = path.join(tmp, 'smoke.pt');
  const train = py(['-m', 'shardlens_cost.train', '--smoke', '--quiet', '--data', data, '--gpu-type', 'H100-80GB', '--out', ckpt, '--threads', '1']);
  assert.equal(train.status, 0, train.out);
  const fixtures = path.join(tmp, 'smoke.fixtures.json');
  const exp = py(['-m', 'shardlens_cost.export', '--ckpt', ckpt, '--name', 'smoke', '--out-dir', tmp, '--data', data, '--fixtures', fixtures, '--fixture-count', '6']);
  assert.equal(exp.status, 0, exp.out);
  assert.ok(existsSync(path.join(tmp, 'smoke.onnx')) && existsSync(path.join(tmp, 'smoke.json')));

  const sidecar = JSON.parse(readFileSync(path.join(tmp, 'smoke.json'), 'utf8')) as {
    kernel?: string;
    training_ranges?: { tables_per_set: number[] };
    uncertainty?: { rel: number[] };
    base?: { model: string };
  };
  assert.equal(sidecar.kernel, 'torch_embedding_bag', 'data lines without "kernel" measured PyTorch\'s embedding bag');
  assert.deepEqual(sidecar.training_ranges?.tables_per_set.length, 2, 'the exporter writes training ranges');
  assert.ok(sidecar.uncertainty && sidecar.uncertainty.rel.every((r) => r > 0), 'the trainer writes held-out error bands');
  assert.equal(sidecar.base?.model, 'analytic', 'the default network corrects the analytic model');
  const tbe = py(['-m', 'shardlens_cost.export', '--ckpt', ckpt, '--name', 'smoke-tbe', '--out-dir', tmp, '--kernel', 'fbgemm_tbe']);
  assert.equal(tbe.status, 0, tbe.out);
  assert.equal((JSON.parse(readFileSync(path.join(tmp, 'smoke-tbe.json'), 'utf8')) as { kernel?: string }).kernel, 'fbgemm_tbe', '--kernel is written to the sidecar');
  const { model: served, warning } = await loadCostModel(device(), {
    files: diskModelFiles,
    modelsDir: MODELS_DIR,
    modelPaths: { 'H100-80GB': path.join(tmp, 'smoke.onnx') },
    kernels: ['torch_embedding_bag'],
  });
  assert.equal(warning, undefined);
  assert.equal(served.name, 'learned: smoke-v1 [torch_embedding_bag]');
  // The network itself, under its analytic corrections and the guard (the
  // guard may move sets outside the smoke model's small training ranges).
  assert.ok(served instanceof KernelDispatchModel);
  const corrected = served.modelFor('torch_embedding_bag');
  assert.ok(corrected instanceof AnalyticCorrectedModel && corrected.base instanceof GuardedCostModel);
  const model = corrected.base.inner;
  const fx = JSON.parse(readFileSync(fixtures, 'utf8')) as {
    records: { batch: number; dtype: string; tables: { rows: number; dim: number; pooling: number; alpha: number }[] }[];
    torch: { fwd_ms: number[]; bwd_ms: number[] };
  };
  assert.ok(fx.records.length > 0);
  for (const [i, r] of fx.records.entries()) {
    const shards = r.tables.map((t, j) => ({
      table: `t${j}`,
      rows: t.rows,
      dim: t.dim,
      pooling: t.pooling,
      zipf: t.alpha,
      dtypeBytes: (r.dtype === 'fp16' ? 2 : 4) as 2 | 4,
      kernel: 'torch_embedding_bag' as const,
    }));
    const [c] = await model.predict([shards], { batchSize: r.batch, optimizer: 'sgd', device: device() });
    assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs > 0 && Number.isFinite(c.bwdMs) && c.bwdMs > 0);
    assert.ok(relErr(c.fwdMs, fx.torch.fwd_ms[i]) <= 1e-4 && relErr(c.bwdMs, fx.torch.bwd_ms[i]) <= 1e-4);
  }
});
