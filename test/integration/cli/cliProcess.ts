/** `shardlens` as a user runs it: `node dist/cli.js ARGS` in a folder, colour off (NO_COLOR), exit code and output captured. */
import { spawnSync } from 'node:child_process';
import { CLI } from '../lsp/lspClient';

export interface CliRun { code: number; stdout: string; stderr: string }

/** Runs the built CLI in `cwd`; `env` adds to this process's environment. Exit -1: killed by a signal. */
export function runCliProcess(args: readonly string[], cwd: string, env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
