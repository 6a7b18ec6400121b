/**
 * `shardlens.replan`, `shardlens.replanWith` and `shardlens.replanMoves`
 * ("Replan (≤ N moves)", N from its argument or the `replan.maxMoves`
 * setting): ask the server for a plan of
 * the document as the user sees it now (`shardlens/replan`), then apply the
 * returned edit, which replaces only the `placement:` section, in one
 * `workspace.applyEdit` (one undo step). A plan for an older text is never
 * applied: the server answers `{stale: true}`, the document version is checked
 * again on return, and the edit itself is versioned so VS Code refuses it too.
 * Cancelling the progress notification cancels the request (`$/cancelRequest`).
 */
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import { ReplanRequest, type ReplanApplied, type ReplanCommandArgs, type ReplanResult, type StrategyName } from '../../server/src/lsp/protocol';
import { Commands } from './contributionIds';
import { STALE_MESSAGE, infeasibleNote, isStale, movesNothingToApply, movesSummary, planFailed, planNotes, replanSummary } from './replanMessages';
import { isShardDocument } from './shardFiles';
import { STRATEGY_DESCRIPTIONS, STRATEGY_ORDER, isStrategyName } from './strategies';

/** The document a command acts on: its argument's uri, else the active shard editor. */
async function targetDocument(uri: unknown): Promise<vscode.TextDocument | undefined> {
  if (typeof uri === 'string') {
    const parsed = vscode.Uri.parse(uri);
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === parsed.toString()) ?? (await vscode.workspace.openTextDocument(parsed));
  }
  const doc = vscode.window.activeTextEditor?.document;
  return doc && isShardDocument(doc) ? doc : undefined;
}

/** N of "Replan (≤ N moves)" from the settings (default 10). */
function configuredMaxMoves(doc: vscode.TextDocument): number {
  const n = vscode.workspace.getConfiguration('shardlens', doc.uri).get<number>('replan.maxMoves');
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 10;
}

function configuredStrategy(doc: vscode.TextDocument): StrategyName | undefined {
  const s = vscode.workspace.getConfiguration('shardlens', doc.uri).get<string>('replan.strategy');
  return isStrategyName(s) ? s : undefined;
}

function isCancellation(err: unknown): boolean {
  if (err instanceof vscode.CancellationError) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  // -32800: LSP RequestCancelled (the client may pass it through when the token was not ours).
  return code === -32800 || (err instanceof Error && err.name === 'Canceled');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function applyResult(client: LanguageClient, doc: vscode.TextDocument, sentVersion: number, result: ReplanApplied): Promise<void> {
  const nothing = movesNothingToApply(result);
  if (nothing) {
    void (result.moveBudget?.tooFewMoves ? vscode.window.showWarningMessage(nothing) : vscode.window.showInformationMessage(nothing));
    return;
  }
  if (planFailed(result)) {
    void vscode.window.showErrorMessage(`ShardLens: Replan (${result.strategy}) found no plan: ${result.reasons.slice(0, 3).join('; ') || 'unknown reason'}`);
    return;
  }
  const summary = result.moveBudget ? movesSummary(result) : replanSummary(result);
  const note = infeasibleNote(result);
  const how = planNotes(result);
  if (note) {
    const choice = await vscode.window.showWarningMessage(`${summary}. ${note}${how ? ` ${how}` : ''}`, 'Apply anyway');
    if (choice !== 'Apply anyway') return;
  }
  if (isStale(result, sentVersion, doc.version)) {
    void vscode.window.showWarningMessage(STALE_MESSAGE);
    return;
  }
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(result.edit);
  const applied = await vscode.workspace.applyEdit(edit);
  if (!applied) {
    // The versioned edit was refused: the text moved on between the check and the apply.
    void vscode.window.showWarningMessage(STALE_MESSAGE);
    return;
  }
  if (!note) void vscode.window.showInformationMessage(`${summary}${how ? `. ${how}` : ''}`);
}

/**
 * Runs one Replan; `args` comes from the top code lens, the balance panel or
 * nothing (palette). `maxMoves`: "Replan (≤ N moves)".
 */
export async function replan(client: LanguageClient, args: Partial<ReplanCommandArgs> | undefined, strategyOverride?: StrategyName, maxMoves?: number): Promise<void> {
  const doc = await targetDocument(args?.uri);
  if (!doc) {
    void vscode.window.showInformationMessage('ShardLens: open a *.shard.yaml file to replan it.');
    return;
  }
  const strategy = strategyOverride ?? (isStrategyName(args?.strategy) ? args.strategy : undefined) ?? configuredStrategy(doc);
  // The text the user sees now is what gets planned (a lens's version may lag the text by one refresh).
  const sentVersion = doc.version;
  let result: ReplanResult | undefined;
  try {
    result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `ShardLens: planning ${vscode.workspace.asRelativePath(doc.uri)}${strategy ? ` (${strategy})` : ''}${maxMoves !== undefined ? `, at most ${maxMoves} move${maxMoves === 1 ? '' : 's'}` : ''}…`,
        cancellable: true,
      },
      async (progress, token) => {
        // The server reports its phases through an LSP work-done token; show them here.
        const workDoneToken = `shardlens-replan-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (p) => {
          if (p.kind !== 'end' && p.message) progress.report({ message: p.message });
        });
        try {
          return await client.sendRequest(ReplanRequest, { uri: doc.uri.toString(), version: sentVersion, strategy, maxMoves, workDoneToken }, token);
        } finally {
          listener.dispose();
        }
      },
    );
  } catch (err) {
    if (isCancellation(err)) return;
    void vscode.window.showErrorMessage(`ShardLens: Replan failed: ${errorMessage(err)}`);
    return;
  }
  if (!result || result.stale === true || isStale(result, sentVersion, doc.version)) {
    void vscode.window.showWarningMessage(STALE_MESSAGE);
    return;
  }
  await applyResult(client, doc, sentVersion, result);
}

/** Quick pick of strategies, the configured one first-selected. */
async function pickStrategy(doc: vscode.TextDocument | undefined): Promise<StrategyName | undefined> {
  const current = doc ? configuredStrategy(doc) : undefined;
  const items = STRATEGY_ORDER.map((s) => ({
    label: s,
    description: s === (current ?? 'best') ? '(default)' : undefined,
    detail: STRATEGY_DESCRIPTIONS[s],
    strategy: s,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'ShardLens: Replan With Strategy',
    placeHolder: 'Planning strategy',
    matchOnDetail: true,
  });
  return picked?.strategy;
}

export function registerReplanCommands(client: LanguageClient): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.replan, (args?: Partial<ReplanCommandArgs>) => replan(client, args)),
    vscode.commands.registerCommand(Commands.replanWith, async (args?: Partial<ReplanCommandArgs>) => {
      const doc = await targetDocument(args?.uri);
      const strategy = await pickStrategy(doc);
      if (strategy) await replan(client, { ...args, uri: args?.uri ?? doc?.uri.toString() }, strategy);
    }),
    vscode.commands.registerCommand(Commands.replanMoves, async (args?: Partial<ReplanCommandArgs>) => {
      const doc = await targetDocument(args?.uri);
      if (!doc) {
        void vscode.window.showInformationMessage('ShardLens: open a *.shard.yaml file to replan it.');
        return;
      }
      const n = typeof args?.maxMoves === 'number' && Number.isInteger(args.maxMoves) && args.maxMoves >= 0 ? args.maxMoves : configuredMaxMoves(doc);
      await replan(client, { ...args, uri: doc.uri.toString() }, undefined, n);
    }),
  ];
}
