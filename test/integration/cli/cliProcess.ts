/** `shardlens` as a user runs it: `node dist/cli.js ARGS` in a folder, colour off (NO_COLOR), exit code and output captured. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { CLI, ensureBuilt } from '../lsp/lspClient';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in `cwd`; `env` adds to this process's environment. Exit -1: killed by a signal. */
export function runCliProcess(args: readonly string[], cwd: string, env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A temporary folder per test file, with the CLI built first (before/after
 * hooks registered here): `run` runs the CLI there (or in `cwd`), `write` puts
 * a file there (or in `where`) and returns its path.
 */
export function cliFolder(prefix: string): {
  run(args: readonly string[], cwd?: string, env?: Record<string, string>): CliRun;
  write(name: string, text: string, where?: string): string;
  dir(): string;
} {
  let dir = '';
  before(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    run: (args, cwd = dir, env = {}) => runCliProcess(args, cwd, env),
    write(name, text, where = dir) {
      const p = path.join(where, name);
      writeFileSync(p, text);
      return p;
    },
    dir: () => dir,
  };
}
