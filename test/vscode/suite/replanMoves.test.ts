import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { cliJson, exampleUri, show } from './fixtures';
import { changedEntries, placementEntries, splitPlacement } from '../../e2e/lib/placement.mjs';

const MAX_MOVES = 2;

test('shardlens.replanMoves changes at most N placement entries: the tables `shardlens plan --max-moves N` moves', async () => {
  // A copy of the Criteo example as written (the Replan test rewrites the original).
  const original = Buffer.from(await vscode.workspace.fs.readFile(exampleUri('criteo-26.shard.yaml'))).toString('utf8');
  const uri = exampleUri('criteo-26-suite-moves.shard.yaml');
  await vscode.workspace.fs.writeFile(uri, Buffer.from(original, 'utf8'));
  const editor = await show(uri);
  const oracle = cliJson<{ move_budget: { moves: Array<{ table: string }> } }>(['plan', uri.fsPath, '--max-moves', String(MAX_MOVES)]);
  const expected = oracle.move_budget.moves.map((m) => m.table).sort();
  assert.ok(expected.length >= 1 && expected.length <= MAX_MOVES, JSON.stringify(oracle.move_budget));
  await vscode.commands.executeCommand('shardlens.replanMoves', { uri: uri.toString(), maxMoves: MAX_MOVES });
  const text = await waitFor(
    'the placement to change',
    () => {
      const now = editor.document.getText();
      return splitPlacement(now).placement !== splitPlacement(original).placement ? now : undefined;
    },
    90_000,
  );
  const changed = changedEntries(placementEntries(original), placementEntries(text));
  assert.deepEqual(changed, expected, 'the entries changed are the moves the CLI plans');
  assert.equal(splitPlacement(text).rest, splitPlacement(original).rest, 'everything outside placement: is unchanged');
  assert.ok(await editor.document.save(), 'the document saves');
});
