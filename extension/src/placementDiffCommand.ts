/**
 * `shardlens.showPlacementDiff` (the "vs HEAD" lens): asks the server for the
 * document's placement diff against its baseline (`shardlens/placementDiff`)
 * and lists the moved tables in a quick pick, from → to; picking one selects
 * its `placement:` entry.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { formatMs, formatSignedMs, PlacementDiffRequest, type PlacementDiffResult, type ShowPlacementDiffCommandArgs } from '../../server/src/lsp/protocol';
import { Commands } from './contributionIds';
import { revealRanges } from './revealTables';
import { isShardDocument } from './shardFiles';

/** The quick pick's title line: "vs HEAD: step 163 ms → 166 ms (+3.1 ms) · 12 moves · scored by …". */
export function diffSummary(d: PlacementDiffResult): string {
  if (d.problem || !d.before || !d.after) return `vs ${d.ref}: ${d.problem ?? 'nothing to compare'}`;
  const model = d.sameModel ? d.after.costModel : `${d.before.costModel} / ${d.after.costModel}`;
  return `vs ${d.ref}: step ${formatMs(d.before.maxMs)} \u2192 ${formatMs(d.after.maxMs)} (${formatSignedMs(d.stepChangeMs ?? 0)}) \u00b7 ${d.moves?.length ?? 0} changed \u00b7 scored by ${model}`;
}

export function registerPlacementDiffCommand(client: LanguageClient): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.showPlacementDiff, async (args?: Partial<ShowPlacementDiffCommandArgs>) => {
    const uri = typeof args?.uri === 'string' ? vscode.Uri.parse(args.uri) : activeShardUri();
    if (!uri) return;
    let diff: PlacementDiffResult | null;
    try {
      diff = await client.sendRequest(PlacementDiffRequest, { uri: uri.toString() });
    } catch (err) {
      void vscode.window.showErrorMessage(`ShardLens: could not compare with HEAD: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!diff) {
      void vscode.window.showInformationMessage('ShardLens: this file has no HEAD version to compare with (not committed, not in a git repository, or an untrusted workspace).');
      return;
    }
    if (diff.problem || !diff.moves) {
      void vscode.window.showWarningMessage(diffSummary(diff));
      return;
    }
    if (diff.moves.length === 0) {
      void vscode.window.showInformationMessage(`${diffSummary(diff)}: no table changed place.`);
      return;
    }
    const items = diff.moves.map((m) => ({
      label: m.table,
      description: `${m.from ?? '(not placed)'} \u2192 ${m.to ?? '(not placed)'}`,
      move: m,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: diffSummary(diff),
      placeHolder: 'Tables whose placement changed since HEAD: pick one to select its entry',
      matchOnDescription: true,
    });
    if (picked?.move.range) await revealRanges(uri, [picked.move.range]);
  });
}

function activeShardUri(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && isShardDocument(doc) ? doc.uri : undefined;
}
