/**
 * Faults: a missing or corrupt ONNX model, a referenced devices
 * file that is deleted or unreadable, a file outside the workspace, a config
 * that includes itself, and handler exceptions each give a clear diagnostic or
 * message, and the rest keeps working: the engine's side, in-process. The
 * same faults through the real server (`node dist/cli.js serve --stdio`) are in
 * test/integration/safety/faults.test.ts; the client's restart policy is in
 * test/unit/extension/crashPolicy.test.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { diskFileReader } from '../../../server/src/io/diskFileReader';
import { withFetchedFiles, workspaceReader } from '../../../server/src/lsp/workspaceReader';
import { configText, devicesText } from '../../fixtures/configText';

const H100: DeviceSpec = { type: 'H100-80GB', count: 2, perHost: 2, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
const SHIPPED = path.resolve(__dirname, '../../../models');

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-faults-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('faults: cost model files (engine)', () => {
  it('the shipped model loads (baseline for the fault cases below)', async () => {
    const r = await loadCostModel(H100, { files: diskModelFiles, modelsDir: SHIPPED, kernels: ['torch_embedding_bag'] });
    assert.equal(r.model.source, 'learned');
    assert.equal(r.warning, undefined);
  });

  it('a missing shipped model → analytic model with a warning that says so', async () => {
    const empty = path.join(dir, 'no-models');
    mkdirSync(empty);
    const r = await loadCostModel(H100, { files: diskModelFiles, modelsDir: empty });
    assert.equal(r.model.source, 'analytic');
    assert.match(r.warning ?? '', /missing|not used/i);
    const [c] = await r.model.predict([[{ table: 't', rows: 1000, dim: 64, pooling: 2, zipf: 1, dtypeBytes: 2, kernel: 'torch_embedding_bag' }]], {
      batchSize: 1024,
      optimizer: 'sgd',
      device: H100,
    });
    assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs > 0, 'the fallback still predicts');
  });

  it('a corrupt ONNX file (garbage bytes, valid sidecar) → analytic model with a warning, never a throw', async () => {
    const bad = path.join(dir, 'corrupt');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'h100-cost.onnx'), Buffer.from('this is not an onnx protobuf \u0000\u0001\u0002'.repeat(50)));
    copyFileSync(path.join(SHIPPED, 'h100-cost.json'), path.join(bad, 'h100-cost.json'));
    const r = await loadCostModel(H100, { files: diskModelFiles, modelsDir: bad });
    assert.equal(r.model.source, 'analytic');
    assert.match(r.warning ?? '', /not used/);
  });

  it('a truncated ONNX file and a corrupt sidecar → analytic model with a warning', async () => {
    const bad = path.join(dir, 'truncated');
    mkdirSync(bad);
    const onnx = readFileSync(path.join(SHIPPED, 'h100-cost.onnx'));
    writeFileSync(path.join(bad, 'h100-cost.onnx'), onnx.subarray(0, Math.floor(onnx.length / 3)));
    copyFileSync(path.join(SHIPPED, 'h100-cost.json'), path.join(bad, 'h100-cost.json'));
    const r1 = await loadCostModel(H100, { files: diskModelFiles, modelsDir: bad });
    assert.equal(r1.model.source, 'analytic');
    const bad2 = path.join(dir, 'badsidecar');
    mkdirSync(bad2);
    copyFileSync(path.join(SHIPPED, 'h100-cost.onnx'), path.join(bad2, 'h100-cost.onnx'));
    writeFileSync(path.join(bad2, 'h100-cost.json'), '{"name": 3, "weights": "nope"');
    const r2 = await loadCostModel(H100, { files: diskModelFiles, modelsDir: bad2 });
    assert.equal(r2.model.source, 'analytic');
    assert.ok(r2.warning);
  });

  it('a user model path that does not exist → analytic model, warning names the problem', async () => {
    const r = await loadCostModel(H100, { files: diskModelFiles, modelsDir: path.join(dir, 'none'), modelPaths: { 'H100-80GB': path.join(dir, 'gone.onnx') } });
    assert.equal(r.model.source, 'analytic');
    assert.match(r.warning ?? '', /gone\.(onnx|json)|missing/);
  });
});

describe('faults: referenced files (engine)', () => {
  it('a deleted devices file → SL023 on the path value; the rest of the file is still checked', () => {
    const main = path.join(dir, 'ref-main.shard.yaml');
    const text = configText({ devicesRef: './gone.shard.yaml', firstDim: 7 });
    const loaded = loadConfig(main, text, diskFileReader());
    const d = loaded.diagnostics.find((x) => x.code === 'SL023');
    assert.ok(d, JSON.stringify(loaded.diagnostics));
    assert.equal(
      d.range.start.line,
      text.split('\n').findIndex((l) => l.startsWith('devices:')),
    );
    assert.ok(
      loaded.diagnostics.some((x) => x.code === 'SL031'),
      'other rules still run (dim 7)',
    );
  });

  it('an unreadable devices file (a directory at that path) → SL023', () => {
    mkdirSync(path.join(dir, 'adir.shard.yaml'));
    const loaded = loadConfig(path.join(dir, 'm.shard.yaml'), configText({ devicesRef: './adir.shard.yaml' }), diskFileReader());
    assert.ok(
      loaded.diagnostics.some((x) => x.code === 'SL023'),
      JSON.stringify(loaded.diagnostics),
    );
  });

  it('a config that includes itself → SL024 (cycle), not a hang or a stack overflow', () => {
    const self = path.join(dir, 'self.shard.yaml');
    const text = configText({ devicesRef: './self.shard.yaml' });
    writeFileSync(self, text);
    const loaded = loadConfig(self, text, diskFileReader());
    assert.ok(
      loaded.diagnostics.some((x) => x.code === 'SL024'),
      JSON.stringify(loaded.diagnostics),
    );
    // And a two-file cycle.
    writeFileSync(path.join(dir, 'a.shard.yaml'), 'devices: ./b.shard.yaml\n');
    writeFileSync(path.join(dir, 'b.shard.yaml'), 'devices: ./a.shard.yaml\n');
    const two = loadConfig(path.join(dir, 'main2.shard.yaml'), configText({ devicesRef: './a.shard.yaml' }), diskFileReader());
    assert.ok(
      two.diagnostics.some((x) => x.code === 'SL024' || x.code === 'SL026'),
      JSON.stringify(two.diagnostics),
    );
  });

  it("a file outside the workspace → SL025 (the language server's reader refuses it)", async () => {
    const ws = path.join(dir, 'ws1');
    mkdirSync(ws);
    writeFileSync(path.join(dir, 'outside.shard.yaml'), devicesText(2));
    const main = path.join(ws, 'main.shard.yaml');
    const reader = workspaceReader(main, { openText: () => undefined, roots: () => [ws] });
    const loaded = await withFetchedFiles(reader, () => loadConfig(main, configText({ devicesRef: '../outside.shard.yaml' }), reader));
    assert.ok(
      loaded.diagnostics.some((x) => x.code === 'SL025'),
      JSON.stringify(loaded.diagnostics),
    );
  });
});
