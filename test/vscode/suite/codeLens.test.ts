import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { exampleUri, show } from './fixtures';
import { planFailureLens, replanLens } from '../../e2e/lib/placement.mjs';

/** Resolved code lens titles of a document (resolving up to 500 lenses). */
export async function lensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 500);
  return (lenses ?? []).map((l) => l.command?.title ?? '').filter(Boolean);
}

test('criteo example: per-table cost lenses and the top Replan lens', async () => {
  const uri = exampleUri('criteo-26.shard.yaml');
  const editor = await show(uri);
  const titles = await waitFor(
    'code lenses on criteo-26.shard.yaml',
    async () => {
      const t = await lensTitles(uri);
      const failed = planFailureLens(t);
      if (failed) throw Object.assign(new Error(`the top lens says: ${failed}`), { fatal: true });
      return replanLens(t) && t.some((x) => /ms/.test(x) && /GiB/.test(x)) ? t : undefined;
    },
    60_000,
  );
  const top = replanLens(titles);
  assert.ok(top && top.before > 0 && top.after > 0, `top lens has two positive maxima: ${top?.title}`);
  // Tables are written block style (`- name: x`) or flow style (`- {name: x, …}`).
  const tables = editor.document
    .getText()
    .split('\n')
    .filter((l) => /^\s*-\s*(\{\s*)?name\s*:/.test(l)).length;
  // Small tables show MiB/KiB: '≈ 0.12 ms (fwd … + bwd …) · 340 MiB · GPU 0'.
  const tableLenses = titles.filter((x) => /^≈ .*\bms\b/.test(x) && /[GMK]iB|\d B\b/.test(x));
  assert.ok(tableLenses.length >= tables, `one cost lens per table (${tables}), got ${tableLenses.length}`);
});
