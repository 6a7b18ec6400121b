/**
 * Opening a config while the cost model is still loading: the config's own
 * diagnostics are published at once, the costed ones (SL101) follow for the same
 * version ("within a blink, mistakes are underlined").
 *
 * The slow loader is real, not a test hook: the model named in settings has a
 * sidecar that is a FIFO, so the server's read of it blocks until this test
 * writes the shipped sidecar into it.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { configText, lineOf } from '../../fixtures/configText';
import { ROOT, startTestServer, until, type TestServer } from './lspClient';

const SHIPPED = path.join(ROOT, 'models');

describe('first open with a slow cost model', () => {
  let dir: string;
  let server: TestServer;
  let sidecar: string;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await writeFile(sidecar, readFileSync(path.join(SHIPPED, 'h100-cost.json')));
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shardlens-slow-model-'));
    copyFileSync(path.join(SHIPPED, 'h100-cost.onnx'), path.join(dir, 'slow.onnx'));
    sidecar = path.join(dir, 'slow.json');
    const r = spawnSync('mkfifo', [sidecar]);
    assert.equal(r.status, 0, `mkfifo: ${r.stderr}`);
    server = await startTestServer({ rootDir: dir, settings: { costModel: { paths: { 'H100-80GB': path.join(dir, 'slow.onnx') } } } });
  });
  after(async () => {
    // Unblock the server's pending read before stopping it (if a failed assertion skipped it).
    await Promise.race([release(), new Promise((r) => setTimeout(r, 1000))]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the config error before the model loads, then the full set (SL101) for the same version', async () => {
    const uri = `file://${path.join(dir, 'slow.shard.yaml')}`;
    // 8 tables all on GPU 0 of 4 (SL101 once costed) and a placement entry naming no table (SL040, a config error).
    // torch_embedding_bag: the kernel the (slow) learned model prices.
    const text = `${configText({ tables: 8, gpus: 4, placement: 'all-on-0', kernel: 'torch_embedding_bag' })}  nosuch: 1\n`;
    await server.open(uri, text, 1);

    const early = await until('config diagnostics', () => server.lastPublished(uri));
    assert.equal(early.version, 1);
    const sl040 = early.diagnostics.find((d) => d.code === 'SL040');
    assert.ok(sl040, JSON.stringify(early.diagnostics));
    assert.equal(sl040.severity, 1);
    assert.equal(sl040.range.start.line, lineOf(text, 'nosuch'));
    assert.ok(!early.diagnostics.some((d) => /^SL1\d\d$/.test(String(d.code))), 'no cost-based diagnostics while the model is loading');

    // Code lenses wait for the costed analysis (they carry its numbers).
    const lensesP = server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    await release();
    const full = await until('costed diagnostics', () => server.published.get(uri)?.find((p) => p.diagnostics.some((d) => d.code === 'SL101')));
    assert.equal(full.version, 1, 'the full set is for the same version');
    assert.ok(
      full.diagnostics.some((d) => d.code === 'SL040'),
      'the config error stays',
    );
    const list = server.published.get(uri)!;
    assert.ok(list.indexOf(early) < list.indexOf(full), 'config diagnostics came first');
    assert.ok(!full.diagnostics.some((d) => d.code === 'SL102'), 'the slow model was used, not the analytic fallback');

    const lenses = await lensesP;
    const tableLenses = lenses.filter((l) => l.command?.title.startsWith('\u2248'));
    assert.equal(tableLenses.length, 8, 'one lens per table, with costs');
  });

  it('once the model is loaded, an edit publishes once (no config-only flicker)', async () => {
    const uri = `file://${path.join(dir, 'warm.shard.yaml')}`;
    await server.open(uri, configText({ tables: 8, gpus: 4, placement: 'all-on-0', kernel: 'torch_embedding_bag' }), 1);
    await until('SL101', () => server.lastPublished(uri)?.diagnostics.some((d) => d.code === 'SL101'));
    await server.change(uri, 2, configText({ tables: 8, gpus: 4, placement: 'all-on-0', firstDim: 32, kernel: 'torch_embedding_bag' }));
    await until('version 2', () => server.lastPublished(uri)?.version === 2);
    const v2 = server.published.get(uri)!.filter((p) => p.version === 2);
    assert.equal(v2.length, 1, 'one publish for version 2');
    assert.ok(v2[0].diagnostics.some((d) => d.code === 'SL101'));
  });
});
