/**
 * The language server's FileReader: open documents win over disk (unsaved edits
 * of a devices file count), and referenced files must stay inside the workspace
 * folders so a config cannot make the server read /etc/passwd or ~/.ssh
 * (issue 6 §5). With no workspace folder, the main file's folder is the root.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import type { FileReader } from '../config/loaded';
import { readTextFile } from '../cli/diskFileReader';
import { isInside } from './uris';

export interface WorkspaceReaderDeps {
  /** Text of an open document at this path, if open. */
  openText(filePath: string): string | undefined;
  /** Workspace folder paths (may be empty). */
  roots(): string[];
  /** Workspace Trust: when it answers false no referenced file is read at all (issue 6 §5). */
  trusted?(): boolean;
}

export function workspaceReader(mainFile: string, deps: WorkspaceReaderDeps): FileReader {
  const roots = deps.roots();
  const allowed = roots.length > 0 ? roots : path.isAbsolute(mainFile) ? [path.dirname(mainFile)] : [];
  const mayRead = (p: string): boolean => {
    if (deps.trusted && !deps.trusted()) return false;
    if (!path.isAbsolute(p)) return false;
    const resolved = path.resolve(p);
    if (!allowed.some((root) => isInside(root, resolved))) return false;
    // A symlink inside the workspace must not lead outside it.
    let real: string;
    try { real = realpathSync(resolved); } catch { return true; /* missing: the loader reports it */ }
    return allowed.some((root) => isInside(safeRealpath(root), real));
  };
  return {
    mayRead,
    readFile(p) {
      if (p === mainFile) return deps.openText(p) ?? readTextFile(p);
      if (!mayRead(p)) return undefined;
      return deps.openText(p) ?? readTextFile(p);
    },
  };
}

function safeRealpath(p: string): string {
  try { return realpathSync(p); } catch { return p; }
}
