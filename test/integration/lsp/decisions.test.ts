/**
 * The decision requests over the real server (stdio), driven like the VS Code
 * client drives them: `shardlens/sweep` (rows, progress through a work-done
 * token, $/cancelRequest, bad params), the What-if lens on `devices:`, and the
 * "vs HEAD" lens from a `shardlens/baseline` notification with
 * `shardlens/placementDiff` listing the moves.
 */
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { WorkDoneProgress, type CodeLens, type WorkDoneProgressReport } from 'vscode-languageserver-protocol';
import { BaselineNotification, PlacementDiffRequest, SweepRequest, type SweepResultPayload } from '../../../server/src/lsp/protocol';
import { configText, lineOf, tableName } from '../../fixtures/configText';
import { startInTempDir, stopInTempDir, until, type TestServer } from './lspClient';

let dir: string;
let server: TestServer;
let seq = 0;

function fresh(): string {
  return `file://${path.join(dir, `doc${++seq}.shard.yaml`)}`;
}

async function lenses(uri: string): Promise<CodeLens[]> {
  return server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
}

before(async () => {
  ({ dir, server } = await startInTempDir('shardlens-lsp-decisions-'));
});
after(() => stopInTempDir({ dir, server }));

describe('shardlens/sweep', () => {
  it('plans each cluster and reports progress through the work-done token', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 10, gpus: 2, placement: 'round-robin' }));
    const token = 'sweep-progress-1';
    const reports: WorkDoneProgressReport[] = [];
    const listener = server.conn.onProgress(WorkDoneProgress.type, token, (p) => {
      if (p.kind === 'report') reports.push(p);
    });
    const result = (await server.conn.sendRequest(SweepRequest, { uri, counts: [4, 1, 2], types: ['H100-80GB', 'A100-80GB'], workDoneToken: token })) as SweepResultPayload;
    listener.dispose();
    assert.equal(result.uri, uri);
    assert.equal(result.version, 1);
    assert.equal(result.strategy, 'best');
    assert.deepEqual(
      result.rows.map((r) => `${r.type}×${r.gpus}`),
      ['H100-80GB×1', 'H100-80GB×2', 'H100-80GB×4', 'A100-80GB×1', 'A100-80GB×2', 'A100-80GB×4'],
    );
    for (const r of result.rows) {
      assert.equal(r.feasible, true, r.reason);
      assert.ok(r.maxMs! > 0);
      assert.ok(Math.abs(r.gpuSecondsPerStep! - (r.maxMs! / 1000) * r.gpus) < 1e-12);
      assert.equal(typeof r.memoryFraction, 'number');
    }
    await until('progress reports', () => reports.length >= 6 || undefined, 5_000);
    assert.match(reports[0].message ?? '', /planning 1 × H100-80GB \(1 of 6\)/);
    assert.ok(reports.some((p) => p.percentage === 100));
  });

  it("defaults: the config's type, ¼ ½ 1 2 × its count", async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 6, gpus: 4 }));
    const result = (await server.conn.sendRequest(SweepRequest, { uri })) as SweepResultPayload;
    assert.deepEqual(
      result.rows.map((r) => [r.type, r.gpus]),
      [
        ['H100-80GB', 1],
        ['H100-80GB', 2],
        ['H100-80GB', 4],
        ['H100-80GB', 8],
      ],
    );
  });

  it('honours $/cancelRequest while planning: RequestCancelled, and the server keeps answering', async () => {
    // Big enough (300 tables, learned model, 12 clusters) that the sweep is still running when the cancel lands.
    const uri = fresh();
    await server.open(uri, configText({ tables: 300, gpus: 8, kernel: 'torch_embedding_bag' }));
    const token = 'sweep-cancel';
    const source = new CancellationTokenSource();
    let reports = 0;
    const listener = server.conn.onProgress(WorkDoneProgress.type, token, (p) => {
      // Cancel once the first cluster is planned and the second has started.
      if (p.kind === 'report' && ++reports === 2) source.cancel();
    });
    const pending = server.conn.sendRequest(
      SweepRequest,
      { uri, counts: [1, 2, 4, 8, 16, 32], types: ['H100-80GB', 'A100-80GB'], strategy: 'search', workDoneToken: token },
      source.token,
    );
    await assert.rejects(pending, (err: { code?: number }) => err.code === -32800);
    listener.dispose();
    assert.ok(reports >= 2 && reports < 12, `stopped early (${reports} reports of 12)`);
    const again = (await server.conn.sendRequest(SweepRequest, { uri, counts: [8], strategy: 'greedy' })) as SweepResultPayload;
    assert.equal(again.rows.length, 1);
  });

  it('bad counts or types are InvalidParams with the reason; a config with errors is RequestFailed', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 4, gpus: 2 }));
    await assert.rejects(
      server.conn.sendRequest(SweepRequest, { uri, counts: [0] }),
      (err: { code?: number; message?: string }) => err.code === -32602 && /'0' is not a GPU count/.test(err.message ?? ''),
    );
    await assert.rejects(
      server.conn.sendRequest(SweepRequest, { uri, types: ['H100-80G'] }),
      (err: { code?: number; message?: string }) => err.code === -32602 && /did you mean H100-80GB/.test(err.message ?? ''),
    );
    await assert.rejects(server.conn.sendRequest(SweepRequest, { uri: 'file:///nowhere.shard.yaml' }), (err: { code?: number }) => err.code === -32602);
    const broken = fresh();
    await server.open(broken, configText({ firstDim: 130 }));
    await assert.rejects(
      server.conn.sendRequest(SweepRequest, { uri: broken }),
      (err: { code?: number; message?: string }) => err.code === -32803 && /Fix the 1 error/.test(err.message ?? ''),
    );
  });

  it("the What-if lens sits on `devices:` with the default counts and the config's type", async () => {
    const uri = fresh();
    const text = configText({ tables: 4, gpus: 8 });
    await server.open(uri, text);
    const lens = await server.lensMatching(uri, /^What if/);
    assert.equal(lens.range.start.line, lineOf(text, 'devices:'));
    assert.equal(lens.command!.command, 'shardlens.whatIf');
    assert.deepEqual(lens.command!.arguments, [{ uri, counts: [2, 4, 8, 16], type: 'H100-80GB' }]);
  });
});

describe('vs HEAD: baseline, lens and placementDiff', () => {
  it('a baseline adds "vs HEAD: ±x ms, N moves" on `placement:`, and placementDiff lists the moves', async () => {
    const uri = fresh();
    const head = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const now = head.replace(`  ${tableName(1)}: 0`, `  ${tableName(1)}: 1`).replace(`  ${tableName(3)}: 0`, `  ${tableName(3)}: 1`);
    await server.open(uri, now);
    await server.lensMatching(uri, /^Replan|^Plan/);
    assert.ok(!(await lenses(uri)).some((l) => /^vs /.test(l.command?.title ?? '')), 'no baseline, no lens');
    await server.conn.sendNotification(BaselineNotification, { uri, ref: 'HEAD', text: head });
    const lens = await server.lensMatching(uri, /^vs HEAD: /);
    assert.match(lens.command!.title, /^vs HEAD: \u2212[\d.]+ ms, 2 moves$/);
    assert.equal(lens.range.start.line, lineOf(now, 'placement:'));
    assert.deepEqual(lens.command!.arguments, [{ uri }]);
    assert.equal(lens.command!.command, 'shardlens.showPlacementDiff');

    const diff = await server.conn.sendRequest(PlacementDiffRequest, { uri });
    assert.ok(diff && !diff.problem);
    assert.equal(diff.ref, 'HEAD');
    assert.deepEqual(
      diff.moves!.map((m) => [m.table, m.from, m.to]),
      [
        [tableName(1), '0', '1'],
        [tableName(3), '0', '1'],
      ],
    );
    assert.equal(diff.moves![0].range!.start.line, lineOf(now, `  ${tableName(1)}: 1`));
    assert.equal(diff.sameModel, true);
    assert.ok(diff.stepChangeMs! < 0);
    assert.ok(Math.abs(diff.stepChangeMs! - (diff.after!.maxMs - diff.before!.maxMs)) < 1e-12);
    assert.equal(diff.gpus!.length, 2);

    // The lens follows edits: moving a table back leaves one move.
    await server.change(uri, 2, now.replace(`  ${tableName(3)}: 1`, `  ${tableName(3)}: 0`));
    await server.lensMatching(uri, /^vs HEAD: \u2212[\d.]+ ms, 1 move$/);

    // No baseline any more (e.g. the file left git): the lens goes.
    await server.conn.sendNotification(BaselineNotification, { uri, ref: 'HEAD', text: null });
    const hasVs = async () => (await lenses(uri)).some((l) => /^vs /.test(l.command?.title ?? ''));
    const deadline = Date.now() + 10_000;
    while ((await hasVs()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await hasVs(), false);
    assert.equal(await server.conn.sendRequest(PlacementDiffRequest, { uri }), null);
  });

  it('an identical baseline says "same placement"; one that does not load says it cannot compare', async () => {
    const uri = fresh();
    const text = configText({ tables: 4, gpus: 2, placement: 'round-robin' });
    await server.open(uri, text);
    await server.conn.sendNotification(BaselineNotification, { uri, ref: 'HEAD', text });
    await server.lensMatching(uri, /^vs HEAD: same placement$/);
    await server.conn.sendNotification(BaselineNotification, { uri, ref: 'HEAD', text: 'version: 1\ntables: [' });
    const lens = await server.lensMatching(uri, /^vs HEAD: cannot compare/);
    assert.match(lens.command!.title, /HEAD version does not load/);
    const diff = await server.conn.sendRequest(PlacementDiffRequest, { uri });
    assert.match(diff!.problem!, /HEAD version does not load/);
  });

  it('a malformed baseline notification is ignored and the server keeps working', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 4, gpus: 2, placement: 'round-robin' }));
    await server.conn.sendNotification(BaselineNotification, { uri, ref: 42, text: 7 } as never);
    await server.conn.sendNotification(BaselineNotification, null as never);
    await server.lensMatching(uri, /^Replan|^Plan/);
    assert.equal(await server.conn.sendRequest(PlacementDiffRequest, { uri }), null);
  });
});
