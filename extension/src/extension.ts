/**
 * ShardLens activation: wires the language client, the commands, the balance
 * panel (and its What-if view), the HEAD baselines of the "vs HEAD" lens and
 * the status bar. Everything heavy (parsing, cost models, ONNX,
 * planning) lives in the server process, so activation stays light.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { BalanceChangedNotification, StatusNotification, type ShowBalanceCommandArgs } from '../../server/src/lsp/protocol';
import { BalancePanel, type PanelDeps } from './balancePanel';
import { BaselineSync } from './baselineSync';
import { createClient } from './client';
import { ACTIVE_EDITOR_IS_SHARD, BALANCE_VIEW_TYPE, Commands } from './contributionIds';
import { registerPlacementDiffCommand } from './placementDiffCommand';
import { registerReplanCommands } from './replanCommand';
import { registerRevealTablesCommand } from './revealTables';
import { isShardDocument } from './shardFiles';
import { StatusBar } from './statusBar';
import { registerWhatIfCommand } from './whatIfCommand';

let client: LanguageClient | undefined;

/** `shardlens.showBalance` gets {uri} from lenses, a Uri from editor/title, nothing from the palette. */
function balanceTarget(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const uri = (arg as Partial<ShowBalanceCommandArgs> | undefined)?.uri;
  return typeof uri === 'string' ? vscode.Uri.parse(uri) : undefined;
}

function updateContextKey(): void {
  const doc = vscode.window.activeTextEditor?.document;
  void vscode.commands.executeCommand('setContext', ACTIVE_EDITOR_IS_SHARD, !!doc && isShardDocument(doc));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('ShardLens');
  const shard = createClient(context, output);
  client = shard.client;
  const statusBar = new StatusBar();
  const deps: PanelDeps = { extensionUri: context.extensionUri, client: shard.client, output };

  context.subscriptions.push(
    output,
    statusBar,
    shard.client.onNotification(StatusNotification, (status) => statusBar.update(status)),
    shard.client.onNotification(BalanceChangedNotification, (params) => BalancePanel.balanceChanged(params)),
    ...registerReplanCommands(shard.client),
    registerRevealTablesCommand(),
    registerWhatIfCommand(deps),
    registerPlacementDiffCommand(shard.client),
    new BaselineSync(shard.client, output),
    vscode.commands.registerCommand(Commands.showBalance, (arg: unknown) => BalancePanel.show(deps, balanceTarget(arg))),
    vscode.commands.registerCommand(Commands.restartServer, async () => {
      output.appendLine('Restarting the ShardLens language server.');
      await shard.restart();
    }),
    vscode.window.registerWebviewPanelSerializer(BALANCE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => BalancePanel.revive(deps, panel, state),
    }),
    // Granting Workspace Trust lets the server load models and files from the
    // workspace: restart it so it starts over with trusted = true.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void shard.restart();
    }),
    vscode.window.onDidChangeActiveTextEditor(updateContextKey),
  );
  updateContextKey();

  try {
    await shard.client.start();
  } catch (err) {
    output.appendLine(`The ShardLens language server did not start: ${err instanceof Error ? err.message : String(err)}`);
    void vscode.window.showErrorMessage('The ShardLens language server did not start. See the ShardLens output.', 'Restart server', 'Show output').then((choice) => {
      if (choice === 'Restart server') void vscode.commands.executeCommand(Commands.restartServer);
      else if (choice === 'Show output') output.show(true);
    });
  }
}

export async function deactivate(): Promise<void> {
  // stop() rejects when the server never started or already died; nothing to clean then.
  await client?.stop().catch(() => undefined);
}
