import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { loadCostModel, modelFilesFor } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { device, MODELS_DIR, SHIPPED } from './fixtures';

const tmp = mkdtempSync(path.join(tmpdir(), 'shardlens-registry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the shipped model under a new name, with optional edits. */
function copyModel(name: string, edit?: { sidecar?: (s: Record<string, unknown>) => void; sidecarText?: string; onnxBytes?: Buffer }) {
  const files = { onnxPath: path.join(tmp, `${name}.onnx`), sidecarPath: path.join(tmp, `${name}.json`) };
  if (edit?.onnxBytes) writeFileSync(files.onnxPath, edit.onnxBytes);
  else copyFileSync(SHIPPED.onnxPath, files.onnxPath);
  if (edit?.sidecarText !== undefined) writeFileSync(files.sidecarPath, edit.sidecarText);
  else {
    const s = JSON.parse(readFileSync(SHIPPED.sidecarPath, 'utf8')) as Record<string, unknown>;
    edit?.sidecar?.(s);
    writeFileSync(files.sidecarPath, JSON.stringify(s));
  }
  return files;
}

async function expectAnalytic(p: Promise<{ model: { source: string }; warning?: string }>, pattern: RegExp) {
  const r = await p;
  assert.equal(r.model.source, 'analytic');
  assert.ok(r.warning, 'a warning explains the fallback');
  assert.match(r.warning!, pattern);
  assert.match(r.warning!, /analytic/);
}

test('a GPU type without a model gets the analytic model and a warning', async () => {
  await expectAnalytic(loadCostModel(device('A100-80GB'), { files: diskModelFiles, modelsDir: MODELS_DIR }), /no learned cost model for A100-80GB/);
});

test('a missing shipped model file falls back with a warning', async () => {
  await expectAnalytic(loadCostModel(device(), { files: diskModelFiles, modelsDir: path.join(tmp, 'nowhere') }), /missing/);
});

test('a corrupt sidecar falls back with a warning', async () => {
  const files = copyModel('corrupt-json', { sidecarText: '{"format": "shardlens-cost-model", "weights": [' });
  await expectAnalytic(loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS_DIR, modelPaths: { 'H100-80GB': files.onnxPath } }), /not valid JSON/);
});

test('a corrupt ONNX file falls back with a warning', async () => {
  const files = copyModel('corrupt-onnx', { onnxBytes: Buffer.from('this is not a protobuf at all') });
  await expectAnalytic(loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS_DIR, modelPaths: { 'H100-80GB': files.onnxPath } }), /not a loadable ONNX model/);
});

test('an incompatible sidecar (other feature version or sidecar version) falls back with a warning', async () => {
  const feat = copyModel('feat', {
    sidecar: (s) => {
      s.feature_version = 99;
    },
  });
  await expectAnalytic(loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS_DIR, modelPaths: { 'H100-80GB': feat.sidecarPath } }), /features .*do not match/);
  const ver = copyModel('ver', {
    sidecar: (s) => {
      s.sidecar_version = 2;
    },
  });
  await expectAnalytic(loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS_DIR, modelPaths: { 'H100-80GB': ver.onnxPath } }), /sidecar version 2 is not supported/);
  const shape = copyModel('shape', {
    sidecar: (s) => {
      (s.weights as unknown[]).pop();
    },
  });
  await expectAnalytic(loadCostModel(device(), { files: diskModelFiles, modelsDir: MODELS_DIR, modelPaths: { 'H100-80GB': shape.onnxPath } }), /weights of \d+ members/);
});

test('a user model per GPU type is used, with a note when it was measured on another GPU', async () => {
  const files = copyModel('mine', {
    sidecar: (s) => {
      s.name = 'my-a100-v3';
    },
  });
  const r = await loadCostModel(device('A100-80GB'), {
    files: diskModelFiles,
    modelsDir: MODELS_DIR,
    modelPaths: { 'A100-80GB': files.onnxPath },
    kernels: ['torch_embedding_bag'],
  });
  assert.equal(r.model.source, 'learned');
  assert.equal(r.model.name, 'learned: my-a100-v3 [torch_embedding_bag]');
  assert.match(r.warning ?? '', /measured on H100-80GB, not A100-80GB/);
});

test('user model paths are ignored in an untrusted workspace', async () => {
  const files = copyModel('untrusted', {
    sidecar: (s) => {
      s.name = 'untrusted-v1';
    },
  });
  const r = await loadCostModel(device(), {
    files: diskModelFiles,
    modelsDir: MODELS_DIR,
    modelPaths: { 'H100-80GB': files.onnxPath },
    trusted: false,
    kernels: ['torch_embedding_bag'],
  });
  assert.match(r.model.name, /^learned: h100-cost-v\d+ \[torch_embedding_bag\]$/);
  assert.match(r.warning ?? '', /ignored in an untrusted workspace/);
});

test('an onnxruntime that cannot load gives the analytic model, never an exception', async () => {
  const files = copyModel('noruntime');
  await expectAnalytic(
    loadCostModel(device(), {
      files: diskModelFiles,
      modelsDir: MODELS_DIR,
      modelPaths: { 'H100-80GB': files.onnxPath },
      loadRuntime: () => {
        throw new Error("Cannot find module 'onnxruntime-node'");
      },
    }),
    /onnxruntime-node could not be loaded/,
  );
});

test('modelFilesFor accepts the ONNX file, the sidecar or the base name', () => {
  for (const p of ['/m/x.onnx', '/m/x.json', '/m/x']) {
    assert.deepEqual(modelFilesFor(p), { onnxPath: '/m/x.onnx', sidecarPath: '/m/x.json' });
  }
});
