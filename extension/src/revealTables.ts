/**
 * Selects ranges of a config in its editor: the balance panel's GPU clicks and
 * the `shardlens.revealTables` command (GPU code lenses) both end here.
 */
import * as vscode from 'vscode';
import type { Range } from 'vscode-languageserver-protocol';
import { Commands } from './contributionIds';
import type { RevealTablesCommandArgs } from '../../server/src/lsp/protocol';

function toVsRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

/** Shows `uri` (in the column it is already visible in, else the first) and selects `ranges`. */
export async function revealRanges(uri: vscode.Uri, ranges: readonly Range[]): Promise<void> {
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor = await vscode.window.showTextDocument(uri, {
    viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
    preserveFocus: false,
  });
  if (ranges.length === 0) return;
  const vs = ranges.map(toVsRange);
  editor.selections = vs.map((r) => new vscode.Selection(r.start, r.end));
  editor.revealRange(vs[0], vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

function isRevealArgs(x: unknown): x is RevealTablesCommandArgs {
  const o = x as Partial<RevealTablesCommandArgs> | undefined;
  return !!o && typeof o.uri === 'string' && Array.isArray(o.ranges);
}

export function registerRevealTablesCommand(): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.revealTables, async (args: unknown) => {
    if (!isRevealArgs(args)) return;
    await revealRanges(vscode.Uri.parse(args.uri), args.ranges);
  });
}
