/**
 * Workspace Trust and workspace boundaries, through the protocol (one server,
 * untrusted): referenced files outside the workspace are not read; an
 * untrusted workspace reads no referenced file even inside it, and loads no
 * model or calibration named in settings. The in-process checks of the
 * workspace reader (trusted): test/unit/safety/security.test.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusParams } from '../../../server/src/lsp/protocol';
import { configText, devicesText } from '../../fixtures/configText';
import { ROOT, startTestServer, until, type TestServer } from './lspClient';

let dir: string;
let ws: string;
let server: TestServer;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-trust-'));
  ws = path.join(dir, 'ws');
  mkdirSync(ws);
  writeFileSync(path.join(dir, 'outside.shard.yaml'), devicesText(2));
  writeFileSync(path.join(ws, 'inside.shard.yaml'), devicesText(2));
  // A model in the workspace, named in settings: corrupt on purpose, so loading it would show "not used: …".
  writeFileSync(path.join(ws, 'evil.onnx'), 'not a model');
  copyFileSync(path.join(ROOT, 'models', 'h100-cost.json'), path.join(ws, 'evil.json'));
  server = await startTestServer({
    rootDir: ws,
    trusted: false,
    settings: { costModel: { paths: { 'H100-80GB': path.join(ws, 'evil.onnx') }, calibrations: { 'H100-80GB': path.join(ws, 'evil.calibration.json') } } },
  });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const devicesLine = (text: string) => text.split('\n').findIndex((l) => l.startsWith('devices:'));

it('a devices file outside the workspace is not read (SL025 on the reference)', async () => {
  const uri = `file://${path.join(ws, 'main.shard.yaml')}`;
  const text = configText({ devicesRef: '../outside.shard.yaml' });
  await server.open(uri, text);
  const pub = await until('diagnostics', () => server.lastPublished(uri));
  const d = pub.diagnostics.find((x) => x.code === 'SL025');
  assert.ok(d, JSON.stringify(pub.diagnostics));
  assert.equal(d.severity, 1);
  assert.equal(d.range.start.line, devicesLine(text));
});

// An untrusted workspace reads no referenced file, even inside it
// (this server runs with trusted: false; the trusted case is in test/unit/safety).
it('untrusted: a devices file inside the workspace is not read either: SL025 on the reference, saying why', async () => {
  const uri = `file://${path.join(ws, 'ok.shard.yaml')}`;
  const text = configText({ devicesRef: './inside.shard.yaml' });
  await server.open(uri, text);
  const pub = await until('diagnostics', () => server.lastPublished(uri));
  assert.deepEqual(
    pub.diagnostics.filter((x) => x.severity === 1).map((x) => x.code),
    ['SL025'],
  );
  const d = pub.diagnostics.find((x) => x.code === 'SL025')!;
  assert.match(d.message, /trust/);
  assert.equal(d.range.start.line, devicesLine(text));
});

it('untrusted: the model and calibration from settings are ignored: the shipped model is used and the status says why', async () => {
  // A usable config (devices inline) on the kernel the shipped learned model prices.
  const uri = `file://${path.join(ws, 'inline.shard.yaml')}`;
  await server.open(uri, configText({ tables: 3, kernel: 'torch_embedding_bag' }));
  const status = await until('status with a model', () =>
    server.notifications.map((n) => (n.method === 'shardlens/status' ? (n.params as StatusParams) : undefined)).find((s) => s?.uri === uri && s.costModel !== undefined),
  );
  assert.equal(status.source, 'learned', 'the shipped model, not the workspace one');
  assert.match(status.costModel ?? '', /h100-cost/);
  assert.ok(
    status.warnings.some((w) => /untrusted/.test(w)),
    JSON.stringify(status),
  );
  assert.ok(
    status.warnings.some((w) => /calibration setting for H100-80GB .* ignored in an untrusted workspace/.test(w)),
    JSON.stringify(status),
  );
  assert.ok(!status.warnings.some((w) => /not used/.test(w)), 'the corrupt workspace model was never opened');
  assert.doesNotMatch(status.costModel ?? '', /calibrated/);
  assert.ok(!server.logs.some((l) => l.includes('evil.onnx') && /load|read/i.test(l) && !/ignored/.test(l)));
});
