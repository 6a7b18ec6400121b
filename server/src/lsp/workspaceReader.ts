/**
 * The language server's FileReader. Open documents win over disk (unsaved edits
 * of a devices file count), and referenced files must stay inside the workspace
 * folders so a config cannot make the server read /etc/passwd or ~/.ssh. With
 * no workspace folder, the main file's folder is the root.
 *
 * The server never blocks on file I/O: the engine's FileReader is synchronous,
 * so files are read asynchronously *before* a load (bounded reads of regular
 * files only: a FIFO in the workspace once froze the whole server) and served
 * from memory during it. A load that asks for a file not read yet (the first
 * open, or a new `devices:` path) is answered "not read yet", and
 * `withFetchedFiles` reads what was missed and loads again.
 */
import * as path from 'node:path';
import type { FileReader } from '../config/loaded';
import { MAX_TEXT_BYTES, readRegularFile } from '../io/readBounded';
import { insideRoots, realInsideRoots } from '../io/pathBoundary';

export interface WorkspaceReaderDeps {
  /** Text of an open document at this path, if open. */
  openText(filePath: string): string | undefined;
  /** Workspace folder paths (may be empty). */
  roots(): string[];
  /** Workspace Trust: when it answers false no referenced file is read at all. */
  trusted?(): boolean;
}

type Fetched = { text: string } | { why: string } | { refused: true };

/** Loads needed at most per analysis: one per level of a devices-file chain. */
const MAX_FETCH_ROUNDS = 16;

export interface WorkspaceReader extends FileReader {
  /** Reads these paths from disk (asynchronously) for the next load. */
  fetch(paths: readonly string[]): Promise<void>;
  /** Paths a load asked for that were not read yet; clears the list. */
  takeMissed(): string[];
  /** Whether the current load asked for a file not read yet (its result is provisional). */
  missedAny(): boolean;
}

export function workspaceReader(mainFile: string, deps: WorkspaceReaderDeps): WorkspaceReader {
  const roots = deps.roots();
  const allowed = roots.length > 0 ? roots : path.isAbsolute(mainFile) ? [path.dirname(mainFile)] : [];
  const fetched = new Map<string, Fetched>();
  const missed = new Set<string>();
  const trusted = () => !deps.trusted || deps.trusted();

  const mayRead = (p: string): boolean => {
    if (!trusted()) return false;
    if (!insideRoots(allowed, p)) return false;
    // Symlinks are resolved when the file is fetched; one leading outside is refused then.
    return !(fetched.get(p) && 'refused' in fetched.get(p)!);
  };

  return {
    mayRead,
    refusal: () =>
      trusted()
        ? 'it is outside the workspace folders. Move the file into the workspace'
        : 'the workspace is not trusted, so no referenced file is read. Trust the workspace to read it',
    readFile(p) {
      if (p !== mainFile && !mayRead(p)) return { why: 'it is outside the workspace' };
      const open = deps.openText(p);
      if (open !== undefined) return open;
      const f = fetched.get(p);
      if (!f) {
        missed.add(p);
        return { why: 'it was not read yet' };
      }
      if ('text' in f) return f.text;
      if ('why' in f) return { why: f.why };
      return { why: 'it is outside the workspace' };
    },
    async fetch(paths) {
      await Promise.all(
        paths.map(async (p) => {
          if (deps.openText(p) !== undefined) return;
          if (p !== mainFile && !(await realInsideRoots(allowed, p))) {
            fetched.set(p, { refused: true });
            return;
          }
          const r = await readRegularFile(p, MAX_TEXT_BYTES);
          fetched.set(p, 'why' in r ? { why: r.why } : { text: r.bytes.toString('utf8') });
        }),
      );
    },
    missedAny: () => missed.size > 0,
    takeMissed() {
      const list = [...missed];
      missed.clear();
      return list;
    },
  };
}

/**
 * Runs `load` (which reads through `reader`), fetching whatever it missed and
 * running it again, until nothing is missed. `known` are files to fetch first
 * (those the previous analysis read), so a steady edit loop loads once.
 */
export async function withFetchedFiles<T>(reader: WorkspaceReader, load: () => T | Promise<T>, known: readonly string[] = []): Promise<T> {
  if (known.length > 0) await reader.fetch(known);
  for (let round = 1; ; round++) {
    const result = await load();
    const missed = reader.takeMissed();
    if (missed.length === 0 || round >= MAX_FETCH_ROUNDS) return result;
    await reader.fetch(missed);
  }
}
