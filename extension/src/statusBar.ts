/**
 * The status bar item: the cost model the server uses for the active config
 * (learned or analytic, and its name) and its warnings, from `shardlens/status`.
 * Visible while a shard config is the active editor; a click opens the balance panel.
 */
import * as vscode from 'vscode';
import type { StatusParams } from '../../server/src/lsp/protocol';
import { Commands } from './contributionIds';
import { isShardDocument } from './shardFiles';
import { statusView } from './statusText';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('shardlens.status', vscode.StatusBarAlignment.Right, 100);
  /** Last status per document uri. */
  private readonly byUri = new Map<string, StatusParams>();
  /** The server sends a status only when it differs from the last one it sent (for any
   *  document), so a document without its own entry shares the latest one. */
  private latest: StatusParams | undefined;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.item.name = 'ShardLens';
    this.item.command = Commands.showBalance;
    this.subscription = vscode.window.onDidChangeActiveTextEditor(() => this.render());
    this.render();
  }

  update(status: StatusParams): void {
    this.byUri.set(status.uri, status);
    this.latest = status;
    this.render();
  }

  private render(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !isShardDocument(doc)) {
      this.item.hide();
      return;
    }
    const view = statusView(this.byUri.get(doc.uri.toString()) ?? this.latest);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
