/**
 * "Replan (≤ N moves)" over the real server (stdio), driven as the VS Code
 * client drives it: the lens next to Replan (N from `replan.maxMoves`), the
 * `maxMoves` of `shardlens/replan` (a versioned edit changing at most N
 * entries, the moves in the answer, progress, staleness, cancellation, bad
 * params) and the moves in `shardlens/balance`.
 */
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { WorkDoneProgress, type CodeLens, type TextEdit, type WorkDoneProgressReport } from 'vscode-languageserver-protocol';
import { loadConfig } from '../../../server/src/config/load';
import type { FileReader } from '../../../server/src/config/loaded';
import { renderEntry } from '../../../server/src/config/placementText';
import { BalanceRequest, ReplanRequest, type BalanceResult, type ReplanApplied, type ReplanResult } from '../../../server/src/lsp/protocol';
import { configText } from '../../fixtures/configText';
import { applyEdits } from '../../fixtures/textEdits';
import { startInTempDir, stopInTempDir, until, type TestServer } from './lspClient';

let dir: string;
let server: TestServer;
let seq = 0;

const noFiles: FileReader = { readFile: () => undefined };

function fresh(): string {
  return `file://${path.join(dir, `moves${++seq}.shard.yaml`)}`;
}

/** Placement entries of a text whose rendering differs from `before`'s. */
function changedEntries(before: string, after: string): string[] {
  const a = loadConfig(path.join(dir, 'a.shard.yaml'), before, noFiles).config!.placement!;
  const b = loadConfig(path.join(dir, 'b.shard.yaml'), after, noFiles).config!.placement!;
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((n) => !a.get(n) || !b.get(n) || renderEntry(a.get(n)!) !== renderEntry(b.get(n)!)).sort();
}

before(async () => {
  ({ dir, server } = await startInTempDir('shardlens-lsp-moves-'));
});
after(() => stopInTempDir({ dir, server }));

describe('the Replan (≤ N moves) lens', () => {
  it('sits next to Replan and shows the step before → after and how many moves, N from the setting (default 10)', async () => {
    const uri = fresh();
    const text = configText({ tables: 12, gpus: 4, placement: 'all-on-0' });
    await server.open(uri, text);
    const lens = await server.lensMatching(uri, /^Replan \u2264 10 moves \u2014 step [\d.]+ ms \u2192 [\d.]+ ms \(.*\d+ moves?\)$/);
    const replan = await server.lensMatching(uri, /^Replan \u2014 step/);
    assert.equal(lens.range.start.line, replan.range.start.line, 'on the Replan lens line');
    assert.equal(lens.command!.command, 'shardlens.replanMoves');
    assert.deepEqual(lens.command!.arguments![0], { uri, version: 1, strategy: 'best', maxMoves: 10 });
    const m = /(\d+) moves?\)$/.exec(lens.command!.title)!;
    assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= 10);
  });

  it('is absent without a written placement', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 6, gpus: 2 }));
    await server.lensMatching(uri, /^Plan placement/);
    const lenses = await server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(!lenses.some((l) => l.command?.command === 'shardlens.replanMoves'), lenses.map((l) => l.command?.title).join(' | '));
  });
});

describe('shardlens/replan with maxMoves', () => {
  it('returns a versioned edit that changes at most N entries, with the moves, their gains and progress', async () => {
    const uri = fresh();
    const text = configText({ tables: 12, gpus: 4, placement: 'all-on-0' });
    await server.open(uri, text, 2);
    const token = 'moves-progress';
    const reports: WorkDoneProgressReport[] = [];
    const listener = server.conn.onProgress(WorkDoneProgress.type, token, (p) => {
      if (p.kind === 'report') reports.push(p);
    });
    const result = (await server.conn.sendRequest(ReplanRequest, { uri, version: 2, maxMoves: 3, workDoneToken: token })) as ReplanResult;
    listener.dispose();
    assert.ok(!result.stale);
    const applied = result as ReplanApplied;
    const budget = applied.moveBudget!;
    assert.ok(budget, 'the answer carries the move budget');
    assert.equal(budget.maxMoves, 3);
    assert.equal(budget.tooFewMoves, false);
    assert.ok(budget.moves.length >= 1 && budget.moves.length <= 3);
    assert.ok(applied.afterMaxMs < applied.beforeMaxMs!);
    const change = applied.edit.documentChanges![0] as { textDocument: { uri: string; version: number }; edits: TextEdit[] };
    assert.deepEqual(change.textDocument, { uri, version: 2 });
    const next = applyEdits(text, change.edits);
    const changed = changedEntries(text, next);
    assert.deepEqual(changed, budget.moves.map((m) => m.table).sort(), 'the edit changes exactly the listed moves');
    for (const mv of budget.moves) {
      assert.equal(mv.from, '0');
      assert.equal(mv.required, false);
      assert.ok(mv.to && mv.to !== '0');
      assert.ok(mv.range, `${mv.table}: its placement entry's range`);
      assert.ok(mv.gainMs === undefined || Number.isFinite(mv.gainMs));
    }
    assert.ok(budget.moves.some((mv) => (mv.gainMs ?? 0) > 0));
    assert.ok(budget.fullMaxMs <= applied.afterMaxMs + 1e-9);
    assert.ok(next.includes('# trailing comment that must survive'));
    await until('a progress report', () => reports.length > 0 || undefined, 5_000);
    assert.match(reports[0].message ?? '', /at most 3 moves/);
  });

  it('maxMoves 0 answers the written placement: no moves', async () => {
    const uri = fresh();
    const text = configText({ tables: 8, gpus: 4, placement: 'all-on-0' });
    await server.open(uri, text);
    const applied = (await server.conn.sendRequest(ReplanRequest, { uri, version: 1, maxMoves: 0 })) as ReplanApplied;
    assert.deepEqual(applied.moveBudget!.moves, []);
    const change = applied.edit.documentChanges![0] as { edits: TextEdit[] };
    assert.deepEqual(changedEntries(text, applyEdits(text, change.edits)), []);
  });

  it('answers stale for an old version, InvalidParams for a bad budget, and honours $/cancelRequest', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 8, gpus: 4, placement: 'all-on-0' }), 5);
    assert.deepEqual(await server.conn.sendRequest(ReplanRequest, { uri, version: 4, maxMoves: 2 }), { stale: true, currentVersion: 5 });
    for (const bad of [-1, 1.5, '3', 1e9]) {
      await assert.rejects(
        server.conn.sendRequest(ReplanRequest, { uri, version: 5, maxMoves: bad as number }),
        (err: { code?: number; message?: string }) => err.code === -32602 && /maxMoves must be a whole number/.test(err.message ?? ''),
        String(bad),
      );
    }
    const big = fresh();
    await server.open(big, configText({ tables: 60, gpus: 8, placement: 'all-on-0' }), 1);
    const source = new CancellationTokenSource();
    // N = 7 is not the setting's 10: a private computation the cancel aborts.
    const pending = server.conn.sendRequest(ReplanRequest, { uri: big, version: 1, maxMoves: 7, strategy: 'search' }, source.token);
    source.cancel();
    await assert.rejects(pending, (err: { code?: number }) => err.code === -32800);
    const again = (await server.conn.sendRequest(ReplanRequest, { uri: big, version: 1, maxMoves: 1 })) as ReplanApplied;
    assert.ok(again.moveBudget!.moves.length <= 1);
  });

  it('a written placement that needs more moves than N to be feasible: says so, nothing moved', async () => {
    const uri = fresh();
    const text = configText({ tables: 8, gpus: 4, placement: 'all-on-0' })
      .replace(/^ {2}t002: 0\n/m, '')
      .replace(/^ {2}t005: 0\n/m, '');
    await server.open(uri, text);
    const applied = (await server.conn.sendRequest(ReplanRequest, { uri, version: 1, maxMoves: 1 })) as ReplanApplied;
    assert.equal(applied.moveBudget!.tooFewMoves, true);
    assert.equal(applied.moveBudget!.requiredMoves, 2);
    assert.equal(applied.feasible, false);
    assert.match(applied.reasons[0], /needs 2 moves to become feasible/);
    const lens = await server.lensMatching(uri, /^Replan \u2264 10 moves/);
    assert.doesNotMatch(lens.command!.title, /too few/, 'N = 10 covers the 2 required moves');
  });
});

describe('shardlens/balance with a move budget', () => {
  it('carries the moves and their plan once the background proposal lands', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 12, gpus: 4, placement: 'all-on-0' }));
    const deadline = Date.now() + 30_000;
    let b = (await server.conn.sendRequest(BalanceRequest, { uri })) as BalanceResult;
    while (!b.moveBudget && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      b = (await server.conn.sendRequest(BalanceRequest, { uri })) as BalanceResult;
    }
    const mb = b.moveBudget!;
    assert.equal(mb.maxMoves, 10);
    assert.ok(mb.moves.length >= 1 && mb.moves.length <= 10);
    assert.equal(mb.side.gpus.length, 4);
    assert.ok(mb.side.maxMs < b.current!.maxMs);
    assert.ok(mb.side.maxMs >= b.proposed!.maxMs - 1e-9, 'no better than the unconstrained proposal');
    assert.equal(mb.fullMaxMs, b.proposed!.maxMs);
    const placed = new Set(mb.side.gpus.flatMap((g) => g.tables));
    for (const mv of mb.moves) assert.ok(placed.has(mv.table), mv.table);
  });
});
