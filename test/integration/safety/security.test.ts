/**
 * Security through the real language server (`node dist/cli.js serve --stdio`):
 * in an untrusted workspace it loads no model from settings or the workspace
 * and reads no referenced file. The in-process checks (webview CSP, message
 * validators, the workspace reader's boundary): test/unit/safety/security.test.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusParams } from '../../../server/src/lsp/protocol';
import { configText, devicesText } from '../../fixtures/configText';
import { ROOT, startTestServer, until, type TestServer } from '../lsp/lspClient';

describe('security: untrusted workspace (protocol)', () => {
  let dir: string;
  let ws: string;
  let server: TestServer;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shardlens-untrusted-'));
    ws = path.join(dir, 'ws');
    mkdirSync(ws);
    writeFileSync(path.join(ws, 'cluster.shard.yaml'), devicesText(2));
    // A model in the workspace, named in settings: corrupt on purpose, so loading it would show "not used: …".
    writeFileSync(path.join(ws, 'evil.onnx'), 'not a model');
    copyFileSync(path.join(ROOT, 'models', 'h100-cost.json'), path.join(ws, 'evil.json'));
    server = await startTestServer({ rootDir: ws, trusted: false, settings: { costModel: { paths: { 'H100-80GB': path.join(ws, 'evil.onnx') } } } });
  });
  after(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('loads no model named in settings: the shipped one is used and the status says the setting is ignored', async () => {
    const uri = `file://${path.join(ws, 'inline.shard.yaml')}`;
    await server.open(uri, configText({ tables: 3, kernel: 'torch_embedding_bag' }));
    const status = await until('status', () => server.notifications
      .map((n) => (n.method === 'shardlens/status' ? n.params as StatusParams : undefined)).find((s) => s?.uri === uri && s.costModel));
    assert.equal(status.source, 'learned', 'the shipped model, not the workspace one');
    assert.ok(status.warnings.some((w) => /untrusted/.test(w)), JSON.stringify(status));
    assert.ok(!status.warnings.some((w) => /not used/.test(w)), 'the workspace model was never opened');
  });

  it('reads no referenced file, even inside the workspace: SL025 on the reference', async () => {
    const uri = `file://${path.join(ws, 'split.shard.yaml')}`;
    const text = configText({ devicesRef: './cluster.shard.yaml' });
    await server.open(uri, text);
    const pub = await until('diagnostics', () => server.lastPublished(uri));
    const d = pub.diagnostics.find((x) => x.code === 'SL025');
    assert.ok(d, JSON.stringify(pub.diagnostics));
    assert.match(d.message, /trust/);
    assert.equal(d.range.start.line, text.split('\n').findIndex((l) => l.startsWith('devices:')));
  });
});
