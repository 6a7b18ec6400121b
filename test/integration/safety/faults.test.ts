/**
 * Faults through the real language server (`node dist/cli.js serve --stdio`):
 * a corrupt model named in settings, a referenced devices file deleted and
 * recreated, a config that includes itself, and malformed requests and
 * notifications (handler exceptions) each give a clear diagnostic or an error
 * answer, and the server keeps serving. The engine's side of the same faults,
 * in-process: test/unit/safety/faults.test.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusParams } from '../../../server/src/lsp/protocol';
import { configText, devicesText } from '../../fixtures/configText';
import { ROOT, startTestServer, until, type TestServer } from '../lsp/lspClient';

const SHIPPED = path.join(ROOT, 'models');

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-faults-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

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
  after(async () => {
    await server.stop();
  });

  it('a corrupt model from settings → SL102 warning and analytic numbers; lenses still served', async () => {
    const uri = `file://${path.join(ws, 'model.shard.yaml')}`;
    await server.open(uri, configText({ tables: 4, placement: 'round-robin' }));
    // The config-only publish may come first while the model loads (lsp/documents.ts); SL102 comes with the costs.
    const pub = await until('costed diagnostics', () => server.published.get(uri)?.find((p) => p.diagnostics.some((d) => d.code === 'SL102')));
    const w = pub.diagnostics.find((d) => d.code === 'SL102');
    assert.ok(w, JSON.stringify(pub.diagnostics));
    assert.match(w.message, /analytic/);
    const status = await until('status', () =>
      server.notifications.map((n) => (n.method === 'shardlens/status' ? (n.params as StatusParams) : undefined)).find((s) => s?.uri === uri),
    );
    assert.equal(status.source, 'analytic');
    const lenses = (await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as unknown[];
    assert.ok(lenses.length > 4, 'per-table lenses with analytic costs');
  });

  it('the devices file deleted on disk → SL023 appears; recreated → it goes away', async () => {
    const uri = `file://${path.join(ws, 'split.shard.yaml')}`;
    const cluster = path.join(ws, 'cluster.shard.yaml');
    await server.open(uri, configText({ devicesRef: './cluster.shard.yaml' }));
    await until('clean diagnostics', () => {
      const p = server.lastPublished(uri);
      return p && !p.diagnostics.some((d) => d.severity === 1) ? p : undefined;
    });
    unlinkSync(cluster);
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${cluster}`, type: 3 }] });
    await until('SL023 after delete', () => server.lastPublished(uri)?.diagnostics.find((d) => d.code === 'SL023'));
    writeFileSync(cluster, devicesText(2));
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${cluster}`, type: 1 }] });
    await until('SL023 gone after recreate', () => {
      const p = server.lastPublished(uri);
      return p && !p.diagnostics.some((d) => d.code === 'SL023') ? p : undefined;
    });
  });

  it('a config that includes itself → SL024 through the server, which keeps answering', async () => {
    const uri = `file://${path.join(ws, 'loop.shard.yaml')}`;
    await server.open(uri, configText({ devicesRef: './loop.shard.yaml' }));
    await until('SL024', () => server.lastPublished(uri)?.diagnostics.find((d) => d.code === 'SL024'));
    // Keeps answering: requests on the looping document get answers, and a new document is checked.
    await server.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 1 } });
    const lenses = await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(Array.isArray(lenses), JSON.stringify(lenses));
    const next = `file://${path.join(ws, 'after-loop.shard.yaml')}`;
    await server.open(next, configText({ firstDim: 7 }));
    await until('diagnostics for a document opened after the loop', () => server.lastPublished(next)?.diagnostics.find((d) => d.code === 'SL031'));
    assert.equal(server.proc.exitCode, null, 'the server process is alive');
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
    await server.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: `file://${path.join(ws, 'weird.shard.yaml')}`, languageId: 'shardlens', version: 1, text: '\u0000'.repeat(10) + '{[' },
    });
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: null });
    await server.conn.sendNotification('workspace/didChangeConfiguration', { settings: { shardlens: { costModel: { paths: 17 } } } });
    assert.equal(server.proc.exitCode, null, 'the server process is alive');
    const lenses = (await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as unknown[];
    assert.ok(Array.isArray(lenses) && lenses.length > 0, 'a valid request after the junk is still answered');
    const weird = await until('diagnostics for the garbage document', () => server.lastPublished(`file://${path.join(ws, 'weird.shard.yaml')}`));
    assert.ok(weird.diagnostics.length > 0);
  });
});
