/**
 * Host of the GPU balance webview (`shardlens.showBalance`) and its What-if
 * view (`shardlens.whatIf`: runs `shardlens/sweep` with window progress; a new
 * sweep, the view's Cancel button or closing the panel cancels the request,
 * which the server turns into an AbortSignal). One panel at a
 * time; it follows the active shard config, re-asks the server
 * (`shardlens/balance`) when `shardlens/balanceChanged` names the shown
 * document, and turns a click on a GPU into a selection of that GPU's tables.
 *
 * The webview loads only dist/ (localResourceRoots) under a nonce CSP
 * (webview/src/html.ts). It is not kept alive while hidden
 * (retainContextWhenHidden costs memory); it redraws from its saved state and
 * asks for fresh numbers with a `ready` message when shown again. Every
 * message from it is validated (isFromWebview, in webviewInbox.ts) before use.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { State, WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import {
  BalanceRequest,
  SweepRequest,
  type BalanceChangedParams,
  type BalanceResult,
  type ReplanCommandArgs,
  type SweepParams,
  type WhatIfCommandArgs,
} from '../../server/src/lsp/protocol';
import { renderHtml } from '../../webview/src/html';
import type { FromWebview, ToWebview, ViewName } from '../../webview/src/messages';
import { restoreState } from '../../webview/src/panelState';
import { BALANCE_VIEW_TYPE, Commands } from './contributionIds';
import { revealRanges } from './revealTables';
import { isShardDocument } from './shardFiles';
import { webviewInbox } from './webviewInbox';
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

function isCancellation(err: unknown): boolean {
  if (err instanceof vscode.CancellationError) return true;
  // -32800: LSP RequestCancelled.
  return (err as { code?: unknown } | undefined)?.code === -32800 || (err instanceof Error && err.name === 'Canceled');
}

export class BalancePanel implements vscode.Disposable {
  private static current: BalancePanel | undefined;

  private last: BalanceResult | undefined;
  private pending: vscode.CancellationTokenSource | undefined;
  /** The running what-if sweep: cancelled by a new one, the Cancel button or closing the panel. */
  private sweeping: vscode.CancellationTokenSource | undefined;
  private view: ViewName = 'balance';
  /** The What-if view's latest message (result, progress or problem), re-sent to a (re)created webview. */
  private lastWhatIf: ToWebview[] = [];
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
      BALANCE_VIEW_TYPE,
      'GPU Balance',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(deps.extensionUri),
    );
    BalancePanel.current = new BalancePanel(panel, deps, target);
  }

  /**
   * Opens the panel (or points the open one) at `uri` on its What-if view and
   * runs the sweep `params` describe (`shardlens/sweep`).
   */
  static showWhatIf(deps: PanelDeps, uri: vscode.Uri, params: Omit<SweepParams, 'uri' | 'workDoneToken'>): void {
    BalancePanel.show(deps, uri);
    const panel = BalancePanel.current;
    if (!panel) return;
    panel.setView('whatIf');
    void panel.runWhatIf(uri, params);
  }

  /** Restores a panel after a window reload (webview panel serializer). */
  static revive(deps: PanelDeps, panel: vscode.WebviewPanel, state: unknown): void {
    const restored = restoreState(state);
    const saved = restored.result?.uri ?? restored.whatIf?.result.uri;
    const uri = saved ? vscode.Uri.parse(saved) : activeShardUri();
    panel.webview.options = webviewOptions(deps.extensionUri);
    BalancePanel.current?.dispose();
    BalancePanel.current = new BalancePanel(panel, deps, uri);
    BalancePanel.current.view = restored.view;
    BalancePanel.current.updateTitle();
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
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible && this.stale) this.scheduleRefresh(0);
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isShardDocument(editor.document) && editor.document.uri.toString() !== this.uri?.toString()) {
          this.setDocument(editor.document.uri);
        }
      }),
    );
  }

  private setDocument(uri: vscode.Uri): void {
    if (uri.toString() === this.uri?.toString()) {
      this.scheduleRefresh(0);
      return;
    }
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
    const what = this.view === 'whatIf' ? 'What If' : 'GPU Balance';
    this.panel.title = this.uri ? `${what}: ${this.fileName()}` : what;
  }

  private setView(view: ViewName): void {
    this.view = view;
    this.updateTitle();
    this.post({ type: 'showView', view });
  }

  /** Runs one sweep with window progress; its rows go to the What-if view. */
  private async runWhatIf(uri: vscode.Uri, params: Omit<SweepParams, 'uri' | 'workDoneToken'>): Promise<void> {
    const fileName = path.basename(uri.path);
    if (this.deps.client.state !== State.Running) {
      this.post({ type: 'whatIfProblem', message: 'The ShardLens language server is not running. Run "ShardLens: Restart Server".' });
      return;
    }
    this.sweeping?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.sweeping = cts;
    const clusters = params.counts ? `${params.counts.join(', ')} GPUs` : 'default GPU counts';
    this.post({ type: 'whatIfProgress', fileName, message: `planning ${clusters}${params.types?.length ? ` of ${params.types.join(', ')}` : ''}\u2026`, percent: 0 });
    try {
      await vscode.workspace.openTextDocument(uri);
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `ShardLens: what if (${fileName})` }, async (progress) => {
        // The server reports each planned cluster through an LSP work-done token.
        const workDoneToken = `shardlens-sweep-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        const listener = this.deps.client.onProgress(WorkDoneProgress.type, workDoneToken, (p) => {
          if (p.kind === 'end' || !p.message) return;
          progress.report({ message: p.message });
          if (!cts.token.isCancellationRequested) this.post({ type: 'whatIfProgress', fileName, message: p.message, percent: p.percentage });
        });
        try {
          return await this.deps.client.sendRequest(SweepRequest, { uri: uri.toString(), ...params, workDoneToken }, cts.token);
        } finally {
          listener.dispose();
        }
      });
      if (cts.token.isCancellationRequested) return;
      this.post({ type: 'whatIf', fileName, result });
    } catch (err) {
      if (cts.token.isCancellationRequested || isCancellation(err)) {
        if (this.sweeping === cts) this.post({ type: 'whatIfProblem', message: 'What-if sweep cancelled.' });
        return;
      }
      this.deps.output.appendLine(`what if: ${errorText(err)}`);
      this.post({ type: 'whatIfProblem', message: `The what-if sweep failed: ${errorText(err)}` });
    } finally {
      if (this.sweeping === cts) this.sweeping = undefined;
      cts.dispose();
    }
  }

  private onBalanceChanged(params: BalanceChangedParams): void {
    if (params.uri !== this.uri?.toString()) return;
    if (!this.panel.visible) {
      this.stale = true;
      return;
    }
    this.scheduleRefresh(REFRESH_DELAY_MS);
  }

  private scheduleRefresh(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  private async refresh(): Promise<void> {
    const uri = this.uri;
    if (!uri) {
      this.post({ type: 'problem', message: 'Open a *.shard.yaml file to see its GPU balance.' });
      return;
    }
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
    if (message.type === 'whatIf') this.lastWhatIf = [message];
    else if (message.type === 'whatIfProgress' || message.type === 'whatIfProblem') {
      this.lastWhatIf = [...this.lastWhatIf.filter((m) => m.type === 'whatIf'), message];
    }
    void this.panel.webview.postMessage(message);
  }

  /** Only well-formed messages reach handle (webviewInbox.ts). */
  private readonly receive = webviewInbox(
    (m) => this.handle(m),
    (line) => this.deps.output.appendLine(line),
    (err) => this.deps.output.appendLine(`balance panel: ${errorText(err)}`),
  );

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A (re)created webview: show what we have at once, then fresh numbers.
        if (this.last) this.post({ type: 'balance', fileName: this.fileName(), result: this.last });
        else if (this.uri) this.post({ type: 'loading', fileName: this.fileName() });
        for (const m of this.lastWhatIf) void this.panel.webview.postMessage(m);
        if (this.view === 'whatIf') this.post({ type: 'showView', view: 'whatIf' });
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
      case 'replanMoves': {
        if (!this.uri) return;
        const args: Partial<ReplanCommandArgs> = { uri: this.uri.toString() };
        await vscode.commands.executeCommand(Commands.replanMoves, args);
        return;
      }
      case 'whatIfCancel':
        this.sweeping?.cancel();
        return;
      case 'whatIfRun': {
        const args: Partial<WhatIfCommandArgs> = this.uri ? { uri: this.uri.toString() } : {};
        await vscode.commands.executeCommand(Commands.whatIf, args);
        return;
      }
      case 'viewChanged':
        this.view = message.view;
        this.updateTitle();
        return;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (BalancePanel.current === this) BalancePanel.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.pending?.cancel();
    this.sweeping?.cancel();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function activeShardUri(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && isShardDocument(doc) ? doc.uri : undefined;
}
