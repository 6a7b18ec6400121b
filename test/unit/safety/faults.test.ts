/**
 * Faults (issue 6 §4): a missing or corrupt ONNX model, a referenced devices
 * file that is deleted or unreadable, a file outside the workspace, a config
 * that includes itself, and handler exceptions each give a clear diagnostic or
 * message, and the rest keeps working. Engine-level checks first, then the
 * same faults through the real server (`node dist/cli.js serve --stdio`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskFileReader } from '../../../server/src/io/diskFileReader';
import type { StatusParams } from '../../../server/src/lsp/protocol';
import { withFetchedFiles, workspaceReader } from '../../../server/src/lsp/workspaceReader';
import { configText, devicesText } from '../../fixtures/configText';
import { ROOT, startTestServer, until, type TestServer } from '../../integration/lsp/lspClient';

const H100: DeviceSpec = { type: 'H100-80GB', count: 2, perHost: 2, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
const SHIPPED = path.join(ROOT, 'models');

let dir: string;
before(() => { dir = mkdtempSync(path.join(tmpdir(), 'shardlens-faults-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('faults: cost model files (engine)', () => {
  it('the shipped model loads (baseline for the fault cases below)', async () => {
    const r = await loadCostModel(H100, { modelsDir: SHIPPED, kernels: ['torch_embedding_bag'] });
    assert.equal(r.model.source, 'learned');
    assert.equal(r.warning, undefined);
  });

  it('a missing shipped model → analytic model with a warning that says so', async () => {
    const empty = path.join(dir, 'no-models');
    mkdirSync(empty);
    const r = await loadCostModel(H100, { modelsDir: empty });
    assert.equal(r.model.source, 'analytic');
    assert.match(r.warning ?? '', /missing|not used/i);
    const [c] = await r.model.predict([[{ table: 't', rows: 1000, dim: 64, pooling: 2, zipf: 1, dtypeBytes: 2, kernel: 'torch_embedding_bag' }]], { batchSize: 1024, optimizer: 'sgd', device: H100 });
    assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs > 0, 'the fallback still predicts');
  });

  it('a corrupt ONNX file (garbage bytes, valid sidecar) → analytic model with a warning, never a throw', async () => {
    const bad = path.join(dir, 'corrupt');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'h100-cost.onnx'), Buffer.from('this is not an onnx protobuf \u0000\u0001\u0002'.repeat(50)));
    copyFileSync(path.join(SHIPPED, 'h100-cost.json'), path.join(bad, 'h100-cost.json'));
    const r = await loadCostModel(H100, { modelsDir: bad });
    assert.equal(r.model.source, 'analytic');
    assert.match(r.warning ?? '', /not used/);
  });

  it('a truncated ONNX file and a corrupt sidecar → analytic model with a warning', async () => {
    const bad = path.join(dir, 'truncated');
    mkdirSync(bad);
    const onnx = readFileSync(path.join(SHIPPED, 'h100-cost.onnx'));
    writeFileSync(path.join(bad, 'h100-cost.onnx'), onnx.subarray(0, Math.floor(onnx.length / 3)));
    copyFileSync(path.join(SHIPPED, 'h100-cost.json'), path.join(bad, 'h100-cost.json'));
    const r1 = await loadCostModel(H100, { modelsDir: bad });
    assert.equal(r1.model.source, 'analytic');
    const bad2 = path.join(dir, 'badsidecar');
    mkdirSync(bad2);
    copyFileSync(path.join(SHIPPED, 'h100-cost.onnx'), path.join(bad2, 'h100-cost.onnx'));
    writeFileSync(path.join(bad2, 'h100-cost.json'), '{"name": 3, "weights": "nope"');
    const r2 = await loadCostModel(H100, { modelsDir: bad2 });
    assert.equal(r2.model.source, 'analytic');
    assert.ok(r2.warning);
  });

  it('a user model path that does not exist → analytic model, warning names the problem', async () => {
    const r = await loadCostModel(H100, { modelsDir: path.join(dir, 'none'), modelPaths: { 'H100-80GB': path.join(dir, 'gone.onnx') } });
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
    assert.equal(d.range.start.line, text.split('\n').findIndex((l) => l.startsWith('devices:')));
    assert.ok(loaded.diagnostics.some((x) => x.code === 'SL031'), 'other rules still run (dim 7)');
  });

  it('an unreadable devices file (a directory at that path) → SL023', () => {
    mkdirSync(path.join(dir, 'adir.shard.yaml'));
    const loaded = loadConfig(path.join(dir, 'm.shard.yaml'), configText({ devicesRef: './adir.shard.yaml' }), diskFileReader());
    assert.ok(loaded.diagnostics.some((x) => x.code === 'SL023'), JSON.stringify(loaded.diagnostics));
  });

  it('a config that includes itself → SL024 (cycle), not a hang or a stack overflow', () => {
    const self = path.join(dir, 'self.shard.yaml');
    const text = configText({ devicesRef: './self.shard.yaml' });
    writeFileSync(self, text);
    const loaded = loadConfig(self, text, diskFileReader());
    assert.ok(loaded.diagnostics.some((x) => x.code === 'SL024'), JSON.stringify(loaded.diagnostics));
    // And a two-file cycle.
    writeFileSync(path.join(dir, 'a.shard.yaml'), 'devices: ./b.shard.yaml\n');
    writeFileSync(path.join(dir, 'b.shard.yaml'), 'devices: ./a.shard.yaml\n');
    const two = loadConfig(path.join(dir, 'main2.shard.yaml'), configText({ devicesRef: './a.shard.yaml' }), diskFileReader());
    assert.ok(two.diagnostics.some((x) => x.code === 'SL024' || x.code === 'SL026'), JSON.stringify(two.diagnostics));
  });

  it('a file outside the workspace → SL025 (the language server\'s reader refuses it)', async () => {
    const ws = path.join(dir, 'ws1');
    mkdirSync(ws);
    writeFileSync(path.join(dir, 'outside.shard.yaml'), devicesText(2));
    const main = path.join(ws, 'main.shard.yaml');
    const reader = workspaceReader(main, { openText: () => undefined, roots: () => [ws] });
    const loaded = await withFetchedFiles(reader, () => loadConfig(main, configText({ devicesRef: '../outside.shard.yaml' }), reader));
    assert.ok(loaded.diagnostics.some((x) => x.code === 'SL025'), JSON.stringify(loaded.diagnostics));
  });
});

describe('faults: through the language server', () => {
  let ws: string;
  let server: TestServer;
  before(async () => {
    ws = path.join(dir, 'ws-server');
    mkdirSync(ws);
    // A corrupt user model for the config's GPU type, named in settings (trusted workspace).
    writeFileSync(path.join(ws, 'broken.onnx'), 'not a model');
    copyFileSync(path.join(SHIPPED, 'h100-cost.json'), path.join(ws, 'broken.json'));
    writeFileSync(path.join(ws, 'cluster.shard.yaml'), devicesText(2));
    server = await startTestServer({ rootDir: ws, trusted: true, settings: { costModel: { paths: { 'H100-80GB': path.join(ws, 'broken.onnx') } } } });
  });
  after(async () => { await server.stop(); });

  it('a corrupt model from settings → SL102 warning and analytic numbers; lenses still served', async () => {
    const uri = `file://${path.join(ws, 'model.shard.yaml')}`;
    await server.open(uri, configText({ tables: 4, placement: 'round-robin' }));
    // The config-only publish may come first while the model loads (lsp/documents.ts); SL102 comes with the costs.
    const pub = await until('costed diagnostics', () => server.published.get(uri)?.find((p) => p.diagnostics.some((d) => d.code === 'SL102')));
    const w = pub.diagnostics.find((d) => d.code === 'SL102');
    assert.ok(w, JSON.stringify(pub.diagnostics));
    assert.match(w.message, /analytic/);
    const status = await until('status', () => server.notifications
      .map((n) => (n.method === 'shardlens/status' ? n.params as StatusParams : undefined)).find((s) => s?.uri === uri));
    assert.equal(status.source, 'analytic');
    const lenses = await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }) as unknown[];
    assert.ok(lenses.length > 4, 'per-table lenses with analytic costs');
  });

  it('the devices file deleted on disk → SL023 appears; recreated → it goes away', async () => {
    const uri = `file://${path.join(ws, 'split.shard.yaml')}`;
    const cluster = path.join(ws, 'cluster.shard.yaml');
    await server.open(uri, configText({ devicesRef: './cluster.shard.yaml' }));
    await until('clean diagnostics', () => { const p = server.lastPublished(uri); return p && !p.diagnostics.some((d) => d.severity === 1) ? p : undefined; });
    unlinkSync(cluster);
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${cluster}`, type: 3 }] });
    await until('SL023 after delete', () => server.lastPublished(uri)?.diagnostics.find((d) => d.code === 'SL023'));
    writeFileSync(cluster, devicesText(2));
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${cluster}`, type: 1 }] });
    await until('SL023 gone after recreate', () => { const p = server.lastPublished(uri); return p && !p.diagnostics.some((d) => d.code === 'SL023') ? p : undefined; });
  });

  it('a config that includes itself → SL024 through the server, which keeps answering', async () => {
    const uri = `file://${path.join(ws, 'loop.shard.yaml')}`;
    await server.open(uri, configText({ devicesRef: './loop.shard.yaml' }));
    await until('SL024', () => server.lastPublished(uri)?.diagnostics.find((d) => d.code === 'SL024'));
    const hover = await server.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 1 } });
    assert.ok(hover === null || typeof hover === 'object');
  });

  it('survives malformed requests and notifications (handler exceptions) and keeps serving', async () => {
    const uri = `file://${path.join(ws, 'model.shard.yaml')}`;
    const junk: Array<[string, unknown]> = [
      ['textDocument/codeLens', null],
      ['textDocument/codeLens', { textDocument: { uri: 42 } }],
      ['textDocument/hover', { textDocument: { uri }, position: null }],
      ['textDocument/hover', { textDocument: { uri }, position: { line: -5, character: 1e12 } }],
      ['textDocument/completion', { textDocument: { uri }, position: { line: 1e9, character: -1 } }],
      ['textDocument/codeAction', { textDocument: { uri }, range: null, context: null }],
      ['shardlens/replan', { uri: { evil: true }, version: 'one' }],
      ['shardlens/replan', null],
      ['shardlens/replan', { uri: 'file:///not/open.shard.yaml', version: 1 }],
      ['shardlens/balance', { uri: null }],
      ['shardlens/balance', []],
      ['no/suchMethod', { x: 1 }],
    ];
    for (const [method, params] of junk) {
      // An error answer is fine; a crash, a hang or a thrown protocol exception in the server is not.
      await server.conn.sendRequest(method, params).catch((e: { code?: number }) => e);
    }
    await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///never/opened.shard.yaml', version: 2 }, contentChanges: [{ text: 'x' }] });
    await server.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: `file://${path.join(ws, 'weird.shard.yaml')}`, languageId: 'shardlens', version: 1, text: '\u0000'.repeat(10) + '{[' } });
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: null });
    await server.conn.sendNotification('workspace/didChangeConfiguration', { settings: { shardlens: { costModel: { paths: 17 } } } });
    assert.equal(server.proc.exitCode, null, 'the server process is alive');
    const lenses = await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }) as unknown[];
    assert.ok(Array.isArray(lenses) && lenses.length > 0, 'a valid request after the junk is still answered');
    const weird = await until('diagnostics for the garbage document', () => server.lastPublished(`file://${path.join(ws, 'weird.shard.yaml')}`));
    assert.ok(weird.diagnostics.length > 0);
  });
});

describe('faults: client restart policy (extension)', () => {
  it('client.ts restarts a crashed server via its errorHandler and shows a message with "Restart server" after repeated crashes', () => {
    const src = readFileSync(path.join(ROOT, 'extension', 'src', 'client.ts'), 'utf8');
    assert.match(src, /errorHandler:\s*errorHandler\(/, 'the client installs its own errorHandler');
    assert.match(src, /CloseAction\.Restart/);
    assert.match(src, /CloseAction\.DoNotRestart/);
    assert.match(src, /showErrorMessage\([^)]*'Restart server'/s);
  });

  it('the crash budget: restart up to 4 crashes in 3 minutes, give up at the 5th, restart again once the window passes', async () => {
    const { CrashTracker } = await import('../../../extension/src/crashPolicy');
    let now = 0;
    const t = new CrashTracker(undefined, () => now);
    const decisions = [1, 2, 3, 4, 5].map(() => { now += 1000; return t.crashed(); });
    assert.deepEqual(decisions, ['restart', 'restart', 'restart', 'restart', 'give-up']);
    now += 3 * 60_000 + 1;
    assert.equal(t.crashed(), 'restart');
  });
});
