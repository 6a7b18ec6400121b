/**
 * Keeps the server's baseline of each open shard config (`shardlens/baseline`)
 * at its text in HEAD, for the "vs HEAD: +3.1 ms, 12 moves" lens. Reads git in
 * the client (gitBaseline.ts) so the server stays free of git; only for files
 * on disk, only in a trusted workspace and when the `git.enabled` setting is
 * not off. HEAD moves on commits and checkouts, which VS Code reports as no
 * event of its own: the text is read again when a config is opened, saved or
 * brought to the front, at most once per REFRESH_MS per file.
 */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { BaselineNotification } from '../../server/src/lsp/protocol';
import { readAtRevision } from './gitBaseline';
import { isShardDocument } from './shardFiles';

export const BASELINE_REF = 'HEAD';
/** Minimum time between two reads of one file's HEAD text, ms. */
const REFRESH_MS = 2_000;

function gitExecutable(uri: vscode.Uri): string | undefined {
  const git = vscode.workspace.getConfiguration('git', uri);
  if (git.get<boolean>('enabled') === false) return undefined;
  const p = git.get<string | string[]>('path');
  if (typeof p === 'string' && p.trim()) return p.trim();
  if (Array.isArray(p) && typeof p[0] === 'string' && p[0].trim()) return p[0].trim();
  return 'git';
}

export class BaselineSync implements vscode.Disposable {
  private readonly lastRead = new Map<string, number>();
  /** What was last sent per document (text or null), so unchanged baselines are not re-sent. */
  private readonly sent = new Map<string, string | null>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly client: LanguageClient,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d, true)),
      vscode.workspace.onDidSaveTextDocument((d) => this.refresh(d, true)),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e) this.refresh(e.document, false);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.lastRead.delete(d.uri.toString());
        this.sent.delete(d.uri.toString());
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refreshAll()),
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) {
          this.sent.clear();
          this.refreshAll();
        }
      }),
    );
  }

  refreshAll(): void {
    for (const d of vscode.workspace.textDocuments) this.refresh(d, true);
  }

  private refresh(doc: vscode.TextDocument, force: boolean): void {
    if (!isShardDocument(doc) || doc.uri.scheme !== 'file') return;
    const key = doc.uri.toString();
    const now = Date.now();
    if (!force && now - (this.lastRead.get(key) ?? -Infinity) < REFRESH_MS) return;
    this.lastRead.set(key, now);
    void this.read(doc).catch((err) => this.output.appendLine(`baseline of ${key}: ${err instanceof Error ? err.message : String(err)}`));
  }

  private async read(doc: vscode.TextDocument): Promise<void> {
    const uri = doc.uri.toString();
    const git = gitExecutable(doc.uri);
    let text: string | null = null;
    if (vscode.workspace.isTrusted && git) {
      const got = await readAtRevision(doc.uri.fsPath, BASELINE_REF, git, vscode.workspace.asRelativePath(doc.uri));
      if ('text' in got) text = got.text;
      else this.output.appendLine(`no ${BASELINE_REF} baseline for ${vscode.workspace.asRelativePath(doc.uri)}: ${got.none}`);
    }
    if (this.client.state !== State.Running) return;
    if (this.sent.has(uri) && this.sent.get(uri) === text) return;
    this.sent.set(uri, text);
    await this.client.sendNotification(BaselineNotification, { uri, ref: BASELINE_REF, text });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
