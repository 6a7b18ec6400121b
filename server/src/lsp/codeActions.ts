/**
 * Quick fixes: each engine `Diagnostic.fixes` entry becomes a `quickfix` code
 * action tied to the diagnostic it fixes (preferred ones first in the lightbulb).
 * Diagnostics may come from any open document's analysis (a devices file's
 * problems are found while analysing the file that references it).
 */
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { Diagnostic } from '../config/diagnostics';
import type { Range } from '../config/types';
import { toLspDiagnostic } from './diagnostics';

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

/**
 * @param candidates engine diagnostics (any file) from the current analyses
 * @param fileOf URI → engine file path (to pick the diagnostics of this document)
 * @param uriOf engine file path → URI (for the edits)
 */
export function buildCodeActions(params: CodeActionParams, candidates: Iterable<Diagnostic>, fileOf: (uri: string) => string, uriOf: (file: string) => string): CodeAction[] {
  if (
    params.context.only &&
    !params.context.only.some((k) => k === CodeActionKind.QuickFix || k.startsWith(`${CodeActionKind.QuickFix}.`) || CodeActionKind.QuickFix.startsWith(k))
  ) {
    return [];
  }
  const file = fileOf(params.textDocument.uri);
  const fromClient = params.context.diagnostics;
  const actions: CodeAction[] = [];
  const seen = new Set<string>();
  for (const d of candidates) {
    if (d.file !== file || !d.fixes || d.fixes.length === 0) continue;
    // Prefer the diagnostic the client sent back (same code and range); else any overlapping one.
    const echoed: LspDiagnostic | undefined = fromClient.find((c) => c.code === d.code && sameRange(c.range, d.range));
    if (!echoed && !overlaps(d.range, params.range)) continue;
    for (const fix of d.fixes) {
      const key = `${d.code}|${fix.title}|${JSON.stringify(fix.edits)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [echoed ?? toLspDiagnostic(d)],
        isPreferred: fix.preferred ?? false,
        edit: { changes: { [uriOf(fix.file)]: fix.edits.map((e) => ({ range: e.range, newText: e.newText })) } },
      });
    }
  }
  return actions.sort((a, b) => Number(b.isPreferred) - Number(a.isPreferred));
}
