/**
 * Which lines of the config to select when the user clicks a GPU in the balance
 * panel: the `tables:` items of the tables on that GPU. Ranges come from the
 * server's balance answer (`locations`); a table it has no range for is found by
 * searching the text for its `- name: X` line. Pure: LSP-shaped ranges in and out.
 */
import type { Range } from 'vscode-languageserver-protocol';
import type { BalanceResult } from '../../server/src/lsp/protocol';
import type { SideName } from '../../webview/src/messages';

/** Table names on `gpu` in the given placement (empty when unknown). */
export function tablesOnGpu(result: BalanceResult, side: SideName, gpu: number): string[] {
  return result[side]?.gpus.find((g) => g.gpu === gpu)?.tables ?? [];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The range of `name`'s `- name: X` line (quoted or not), or undefined. */
export function findTableLine(text: string, name: string): Range | undefined {
  const re = new RegExp(`^([ \\t]*-[ \\t]*name[ \\t]*:[ \\t]*)(["']?)${escapeRegExp(name)}\\2[ \\t]*(#.*)?$`, 'm');
  const m = re.exec(text);
  if (!m) return undefined;
  const line = text.slice(0, m.index).split('\n').length - 1;
  const lineText = m[0].replace(/\r$/, '');
  return { start: { line, character: 0 }, end: { line, character: lineText.length } };
}

/** Ranges to select for `names`, in file order, without duplicates. */
export function rangesForTables(names: readonly string[], locations: BalanceResult['locations'], text: string): Range[] {
  const out: Range[] = [];
  for (const name of names) {
    const loc = locations[name];
    const r = loc?.item ?? findTableLine(text, name) ?? loc?.placement;
    if (r) out.push(r);
  }
  out.sort((a, b) => a.start.line - b.start.line || a.start.character - b.start.character);
  return out.filter((r, i) => i === 0 || r.start.line !== out[i - 1].start.line || r.start.character !== out[i - 1].start.character);
}
