/**
 * `shardlens check --format github`: one GitHub Actions workflow command per
 * diagnostic, which the runner turns into an annotation on the file and line
 * in the run summary and the pull request:
 *   ::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=SL031::message
 * (docs.github.com/en/actions/reference/workflow-commands-for-github-actions,
 * "Setting an error message"). Lines and columns are 1-based, endColumn just
 * past the last character, as SARIF's (see sarif.ts).
 *
 * Escaping, as the runner unescapes (actions/toolkit packages/core/src/command.ts,
 * escapeData/escapeProperty; actions/runner ActionCommand.cs): in the message
 * `%` → %25, CR → %0D, LF → %0A; in property values also `:` → %3A and `,` → %2C.
 */
import * as path from 'node:path';
import type { Diagnostic } from '../config/diagnostics';

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(severity: Diagnostic['severity']): 'error' | 'warning' | 'notice' {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'notice';
}

/** The file as GitHub wants it: relative to the workspace (cwd), `/`-separated. */
function annotationPath(file: string, cwd: string): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  return shown.split(path.sep).join('/');
}

export function githubAnnotation(d: Diagnostic, cwd: string): string {
  const props: Array<[string, string | number]> = [
    ['file', annotationPath(d.file, cwd)],
    ['line', d.range.start.line + 1],
    ['col', d.range.start.character + 1],
    ['endLine', d.range.end.line + 1],
    ['endColumn', d.range.end.character + 1],
    ['title', `ShardLens ${d.code}`],
  ];
  const list = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${command(d.severity)} ${list}::${escapeData(d.message)}`;
}
