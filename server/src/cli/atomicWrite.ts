/**
 * Writes a file so that readers see the old or the new content, never half of
 * it: write a temp file in the same folder, fsync, rename over the original
 * (rename is atomic within one filesystem on POSIX). Keeps the file's mode.
 */
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let mode = 0o644;
  try { mode = statSync(file).mode & 0o777; } catch { /* new file */ }
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
}

/** Applies one text edit (0-based LSP range) to a text. */
export function applyEdit(text: string, edit: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }): string {
  const offset = (pos: { line: number; character: number }): number => {
    let line = 0;
    let i = 0;
    while (line < pos.line) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return text.length;
      i = nl + 1;
      line++;
    }
    const lineEnd = text.indexOf('\n', i);
    const max = lineEnd < 0 ? text.length : lineEnd;
    return Math.min(i + pos.character, max);
  };
  const start = offset(edit.range.start);
  const end = offset(edit.range.end);
  return text.slice(0, start) + edit.newText + text.slice(end);
}
