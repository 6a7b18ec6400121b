/**
 * The one place the CLI runs git: `git show REF:./FILE` for `shardlens diff
 * FILE --against REF`. No shell (execFile), the revision checked so it cannot
 * be read as an option, and git's failures turned into sentences.
 * The language server never runs git: the editor hands it the HEAD text.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** Largest file git may hand back, bytes (the 856-table example is ~100 KB). */
const MAX_BYTES = 64 * 2 ** 20;

/** Whether `ref` can be passed to git as a revision (not an option, no NUL, not empty). */
export function isSafeRef(ref: string): boolean {
  return ref.length > 0 && !ref.startsWith('-') && !/[\0\s]/.test(ref) && !ref.includes(':');
}

/**
 * The text of `file` at revision `ref` of the git repository that holds it.
 * `display` is how to name the file in messages.
 */
export function gitShow(file: string, ref: string, display: string): { text: string } | { why: string } {
  if (!isSafeRef(ref)) return { why: `'${ref}' is not a git revision (e.g. HEAD, main, HEAD~1, a commit hash)` };
  const abs = path.resolve(file);
  try {
    const text = execFileSync('git', ['show', `${ref}:./${path.basename(abs)}`], {
      cwd: path.dirname(abs), encoding: 'utf8', maxBuffer: MAX_BYTES, stdio: ['ignore', 'pipe', 'pipe'],
      // Reading a blob needs no lock on the index (git-scm.com/docs/git#Documentation/git.txt-codeGITOPTIONALLOCKScode).
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
    });
    return { text };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string | Buffer };
    if (e.code === 'ENOENT') return { why: 'git is not installed (or not on PATH); compare two files instead: shardlens diff A.shard.yaml B.shard.yaml' };
    const stderr = String(e.stderr ?? '');
    if (/not a git repository/i.test(stderr)) {
      return { why: `${display} is not inside a git repository, so it has no ${ref} to compare with; compare two files instead: shardlens diff A.shard.yaml B.shard.yaml` };
    }
    if (/exists on disk, but not in|does not exist in/i.test(stderr)) return { why: `${display} is not in ${ref} (a new file?)` };
    if (/invalid object name|unknown revision|bad revision|ambiguous argument/i.test(stderr)) return { why: `unknown git revision '${ref}'` };
    if (e.code === 'ENOBUFS') return { why: `${display} at ${ref} is larger than ${MAX_BYTES / 2 ** 20} MiB` };
    const first = stderr.split('\n').map((l) => l.replace(/^fatal:\s*/, '').trim()).find((l) => l.length > 0);
    return { why: `git show ${ref}:${display} failed: ${first ?? e.message}` };
  }
}
