import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { exampleUri, show } from './fixtures';

test('shardlens.showBalance opens the balance webview panel', async () => {
  await show(exampleUri('criteo-26.shard.yaml'));
  const webviewTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
  const before = webviewTabs().length;
  await vscode.commands.executeCommand('shardlens.showBalance');
  const tabs = await waitFor('a webview tab', () => (webviewTabs().length > before ? webviewTabs() : undefined), 30_000);
  assert.ok(
    tabs.some((t) => /balance/i.test(t.label)),
    `a tab titled like "GPU balance": ${tabs.map((t) => t.label).join(', ')}`,
  );
});
