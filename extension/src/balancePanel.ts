/**
 * Host of the GPU balance webview (`shardlens.showBalance`). One panel at a
 * time; it follows the active shard config, re-asks the server
 * (`shardlens/balance`) when `shardlens/balanceChanged` names the shown
 * document, and turns a click on a GPU into a selection of that GPU's tables.
 *
 * The webview loads only dist/ (localResourceRoots) under a nonce CSP
 * (webview/src/html.ts). It is not kept alive while hidden
 * (retainContextWhenHidden costs memory); it redraws from its saved state and
 * asks for fresh numbers with a `ready` message when shown again. Every
 * message from it is validated (isFromWebview) before use.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import {
  BalanceRequest, type BalanceChangedParams, type BalanceResult, type ReplanCommandArgs,
} from '../../server/src/lsp/protocol';
import { renderHtml } from '../../webview/src/html';
import { isFromWebview, type FromWebview, type ToWebview } from '../../webview/src/messages';
import { restoreState } from '../../webview/src/panelState';
import { BALANCE_VIEW_TYPE, Commands } from './contributionIds';
import { revealRanges } from './revealTables';
import { isShardDocument } from './shardFiles';
import { rangesForTables, tablesOnGpu } from './tableRanges';

/** Edits arrive faster than anyone reads a chart: coalesce change notifications (ms). */
const REFRESH_DELAY_MS = 150;

export interface PanelDeps {
  extensionUri: vscode.Uri;
  client: LanguageClient;
  output: vscode.OutputChannel;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    retainContextWhenHidden: false,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class BalancePanel implements vscode.Disposable {
  private static current: BalancePanel | undefined;

  private last: BalanceResult | undefined;
  private pending: vscode.CancellationTokenSource | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A change arrived while the panel was hidden: refresh when shown. */
  private stale = false;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  /** Opens the panel for `uri` (or the active shard config), or points the open one at it. */
  static show(deps: PanelDeps, uri: vscode.Uri | undefined): void {
    const target = uri ?? activeShardUri();
    if (!target) {
      void vscode.window.showInformationMessage('ShardLens: open a *.shard.yaml file to see its GPU balance.');
      return;
    }
    if (BalancePanel.current) {
      BalancePanel.current.panel.reveal(undefined, true);
      BalancePanel.current.setDocument(target);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      BALANCE_VIEW_TYPE, 'GPU Balance', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(deps.extensionUri),
    );
    BalancePanel.current = new BalancePanel(panel, deps, target);
  }

  /** Restores a panel after a window reload (webview panel serializer). */
  static revive(deps: PanelDeps, panel: vscode.WebviewPanel, state: unknown): void {
    const saved = restoreState(state).result?.uri;
    const uri = saved ? vscode.Uri.parse(saved) : activeShardUri();
    panel.webview.options = webviewOptions(deps.extensionUri);
    BalancePanel.current?.dispose();
    BalancePanel.current = new BalancePanel(panel, deps, uri);
  }

  /** Forwarded `shardlens/balanceChanged` notifications. */
  static balanceChanged(params: BalanceChangedParams): void {
    BalancePanel.current?.onBalanceChanged(params);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: PanelDeps,
    private uri: vscode.Uri | undefined,
  ) {
    this.panel.webview.html = renderHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
    });
    this.updateTitle();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidChangeViewState((e) => { if (e.webviewPanel.visible && this.stale) this.scheduleRefresh(0); }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isShardDocument(editor.document) && editor.document.uri.toString() !== this.uri?.toString()) {
          this.setDocument(editor.document.uri);
        }
      }),
    );
  }

  private setDocument(uri: vscode.Uri): void {
    if (uri.toString() === this.uri?.toString()) { this.scheduleRefresh(0); return; }
    this.uri = uri;
    this.last = undefined;
    this.updateTitle();
    this.post({ type: 'loading', fileName: this.fileName() });
    this.scheduleRefresh(0);
  }

  private fileName(): string {
    return this.uri ? path.basename(this.uri.path) : '';
  }

  private updateTitle(): void {
    this.panel.title = this.uri ? `GPU Balance: ${this.fileName()}` : 'GPU Balance';
  }

  private onBalanceChanged(params: BalanceChangedParams): void {
    if (params.uri !== this.uri?.toString()) return;
    if (!this.panel.visible) { this.stale = true; return; }
    this.scheduleRefresh(REFRESH_DELAY_MS);
  }

  private scheduleRefresh(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.refresh(); }, delayMs);
  }

  private async refresh(): Promise<void> {
    const uri = this.uri;
    if (!uri) { this.post({ type: 'problem', message: 'Open a *.shard.yaml file to see its GPU balance.' }); return; }
    if (this.deps.client.state !== State.Running) {
      this.post({ type: 'problem', message: 'The ShardLens language server is not running. Run "ShardLens: Restart Server".' });
      return;
    }
    this.stale = false;
    this.pending?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.pending = cts;
    try {
      // The server answers only for open documents; opening (without showing) syncs it.
      await vscode.workspace.openTextDocument(uri);
      const result = await this.deps.client.sendRequest(BalanceRequest, { uri: uri.toString() }, cts.token);
      if (cts.token.isCancellationRequested || uri.toString() !== this.uri?.toString()) return;
      this.last = result;
      this.post({ type: 'balance', fileName: this.fileName(), result });
    } catch (err) {
      if (cts.token.isCancellationRequested) return;
      this.deps.output.appendLine(`balance panel: ${errorText(err)}`);
      this.post({ type: 'problem', message: `Could not compute the balance: ${errorText(err)}` });
    } finally {
      if (this.pending === cts) this.pending = undefined;
      cts.dispose();
    }
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private receive(message: unknown): void {
    if (!isFromWebview(message)) {
      this.deps.output.appendLine(`balance panel: ignored an invalid message from the webview: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    void this.handle(message).catch((err) => this.deps.output.appendLine(`balance panel: ${errorText(err)}`));
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A (re)created webview: show what we have at once, then fresh numbers.
        if (this.last) this.post({ type: 'balance', fileName: this.fileName(), result: this.last });
        else if (this.uri) this.post({ type: 'loading', fileName: this.fileName() });
        this.scheduleRefresh(0);
        return;
      case 'reveal': {
        const uri = this.uri;
        const last = this.last;
        if (!uri || !last) return;
        const doc = await vscode.workspace.openTextDocument(uri);
        const ranges = rangesForTables(tablesOnGpu(last, message.side, message.gpu), last.locations, doc.getText());
        await revealRanges(uri, ranges);
        return;
      }
      case 'replan': {
        if (!this.uri) return;
        const args: Partial<ReplanCommandArgs> = { uri: this.uri.toString() };
        await vscode.commands.executeCommand(Commands.replan, args);
        return;
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (BalancePanel.current === this) BalancePanel.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.pending?.cancel();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function activeShardUri(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && isShardDocument(doc) ? doc.uri : undefined;
}
