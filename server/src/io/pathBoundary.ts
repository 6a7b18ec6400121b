/**
 * Which referenced files may be read: those inside a set of root folders
 * (the workspace folders in the editor; the config's folder, or `--root DIR`,
 * on the command line). A path must be inside lexically (no `..` escape) and,
 * once symlinks are resolved, still inside (a link in the repository must not
 * lead to ~/.ssh). The same rule for the CLI and the language server: CI checks
 * configs from untrusted pull requests.
 */
import { promises as fsp, realpathSync } from 'node:fs';
import * as path from 'node:path';

/** Whether `p` is `root` or below it (no `..` escape). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Lexical check only: absolute and inside one of `roots`. */
export function insideRoots(roots: readonly string[], p: string): boolean {
  if (!path.isAbsolute(p)) return false;
  const resolved = path.resolve(p);
  return roots.some((root) => isInside(root, resolved));
}

function realpathOr(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Lexically inside, and inside after resolving symlinks (sync, for the CLI).
 * A path that does not exist passes: reading it then reports "no such file".
 */
export function realInsideRootsSync(roots: readonly string[], p: string): boolean {
  if (!insideRoots(roots, p)) return false;
  const real = realpathOr(path.resolve(p));
  if (real === undefined) return true;
  return roots.some((root) => isInside(realpathOr(root) ?? root, real));
}

/** The same check without blocking (the language server). */
export async function realInsideRoots(roots: readonly string[], p: string): Promise<boolean> {
  if (!insideRoots(roots, p)) return false;
  let real: string;
  try {
    real = await fsp.realpath(path.resolve(p));
  } catch {
    return true;
  }
  const realRoots = await Promise.all(roots.map((r) => fsp.realpath(r).catch(() => r)));
  return realRoots.some((root) => isInside(root, real));
}
