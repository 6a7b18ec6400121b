/**
 * Reading a file at a git revision: `git show REF:./FILE`, run in the file's
 * folder without a shell (execFile), the revision checked so it cannot be read
 * as an option, and git's failures turned into sentences. The CLI runs it for
 * `shardlens diff FILE --against REF` (gitShow, synchronous); the VS Code
 * client runs the same command asynchronously for the "vs HEAD" lens
 * (gitShowCommand + gitShowFailure). The language server never runs git.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { formatBytes } from '../config/byteUnits';

/** Largest file git may hand back, bytes (the 856-table example is ~100 KB). */
export const GIT_SHOW_MAX_BYTES = 64 * 2 ** 20;

/** Whether `ref` can be passed to git as a revision (not an option, no NUL or spaces, no path part). */
export function isSafeRef(ref: string): boolean {
  return ref.length > 0 && !ref.startsWith('-') && !/[\0\s]/.test(ref) && !ref.includes(':');
}

/** The git command that prints `file` at `ref`: arguments, working folder and environment. */
export function gitShowCommand(file: string, ref: string): { args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const abs = path.resolve(file);
  return {
    args: ['show', `${ref}:./${path.basename(abs)}`],
    cwd: path.dirname(abs),
    // Reading a blob needs no lock on the index (git-scm.com/docs/git, GIT_OPTIONAL_LOCKS);
    // LC_ALL=C keeps git's messages in English for gitShowFailure.
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
  };
}

/** Why `git show` failed, as a sentence; `display` names the file, `ref` the revision. */
export function gitShowFailure(err: unknown, stderrText: string, display: string, ref: string): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOENT') return 'git is not installed (or not on PATH)';
  if (/not a git repository/i.test(stderrText)) return `${display} is not inside a git repository, so it has no ${ref} to compare with`;
  if (/exists on disk, but not in|does not exist in/i.test(stderrText)) return `${display} is not in ${ref} (a new file?)`;
  if (/invalid object name|unknown revision|bad revision|ambiguous argument/i.test(stderrText)) return `unknown git revision '${ref}'`;
  if (e?.code === 'ENOBUFS' || /maxBuffer/i.test(e?.message ?? '')) return `${display} at ${ref} is larger than ${formatBytes(GIT_SHOW_MAX_BYTES)}`;
  const first = stderrText
    .split('\n')
    .map((l) => l.replace(/^fatal:\s*/, '').trim())
    .find((l) => l.length > 0);
  return `git show ${ref}:${display} failed: ${first ?? e?.message ?? String(err)}`;
}

/**
 * The text of `file` at revision `ref` of the git repository that holds it
 * (synchronous: the CLI). `display` is how to name the file in messages.
 */
export function gitShow(file: string, ref: string, display: string): { text: string } | { why: string } {
  if (!isSafeRef(ref)) return { why: `'${ref}' is not a git revision (e.g. HEAD, main, HEAD~1, a commit hash)` };
  const cmd = gitShowCommand(file, ref);
  try {
    const text = execFileSync('git', cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env,
      encoding: 'utf8',
      maxBuffer: GIT_SHOW_MAX_BYTES,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { text };
  } catch (err) {
    const why = gitShowFailure(err, String((err as { stderr?: unknown }).stderr ?? ''), display, ref);
    const instead = /git is not installed|not inside a git repository/.test(why) ? '; compare two files instead: shardlens diff A.shard.yaml B.shard.yaml' : '';
    return { why: why + instead };
  }
}
