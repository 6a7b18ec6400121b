import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { exampleUri, show } from './fixtures';
import { lensTitles } from './codeLens.test';
import { planFailureLens, replanLens, splitPlacement } from '../../e2e/lib/placement.mjs';

test('shardlens.replan rewrites only the placement section and the lens shows the new max', async () => {
  const uri = exampleUri('criteo-26.shard.yaml');
  const editor = await show(uri);
  const before = splitPlacement(editor.document.getText());
  const lensBefore = await waitFor(
    'the Replan lens',
    async () => {
      const t = await lensTitles(uri);
      const failed = planFailureLens(t);
      if (failed) throw Object.assign(new Error(`the top lens says: ${failed}`), { fatal: true });
      return replanLens(t);
    },
    60_000,
  );
  await vscode.commands.executeCommand('shardlens.replan');
  const after = await waitFor(
    'the placement to change',
    () => {
      const now = splitPlacement(editor.document.getText());
      return now.placement !== before.placement ? now : undefined;
    },
    60_000,
  );
  assert.equal(after.rest, before.rest, 'everything outside placement: is unchanged');
  assert.ok(await editor.document.save(), 'the document saves');
  const disk = splitPlacement(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8'));
  assert.equal(disk.placement, after.placement);
  const lensAfter = await waitFor(
    'the Replan lens to show the new max',
    async () => {
      const l = replanLens(await lensTitles(uri));
      return l && Math.abs(l.before - lensBefore.after) <= 0.011 * Math.max(1, lensBefore.after) ? l : undefined;
    },
    60_000,
  );
  assert.ok(lensAfter.before <= lensBefore.before, `new max ${lensAfter.before} <= old max ${lensBefore.before}`);
});
