/**
 * The text of a config at a git revision, for the "vs HEAD" lens: the same
 * `git show REF:./FILE` the CLI's `diff --against` runs (server/src/io/gitShow.ts, re-exported by the protocol module),
 * asynchronous, with a time limit. No `vscode` import: unit-tested with a real
 * repository. The caller decides whether git may run at all (never in an
 * untrusted workspace: a repository's config can make git run programs, which
 * is why VS Code's own git extension is off there too).
 */
import { execFile } from 'node:child_process';
import { GIT_SHOW_MAX_BYTES, gitShowCommand, gitShowFailure, isSafeRef } from '../../server/src/lsp/protocol';

/** A stuck git (network file system, credential prompt) must not hold the lens forever, ms. */
const GIT_TIMEOUT_MS = 10_000;

export type BaselineText = { text: string } | { none: string };

/** `file` at `ref` (e.g. HEAD) with `git` (the `git.path` setting, else on PATH). */
export function readAtRevision(file: string, ref: string, git = 'git', display = file): Promise<BaselineText> {
  if (!isSafeRef(ref)) return Promise.resolve({ none: `'${ref}' is not a git revision` });
  const cmd = gitShowCommand(file, ref);
  return new Promise((resolve) => {
    execFile(
      git,
      cmd.args,
      {
        cwd: cmd.cwd,
        env: { ...cmd.env, GIT_TERMINAL_PROMPT: '0' },
        encoding: 'utf8',
        maxBuffer: GIT_SHOW_MAX_BYTES,
        timeout: GIT_TIMEOUT_MS,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        if (err) resolve({ none: gitShowFailure(err, String(stderr ?? ''), display, ref) });
        else resolve({ text: stdout });
      },
    );
  });
}
