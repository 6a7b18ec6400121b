/** `shardlens` run in this process (runCli), output captured without colour, in a temporary folder per test file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { runCli } from '../../../server/src/cli/main';
import { colours } from '../../../server/src/cli/textTable';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Registers before/after hooks for a temporary folder; `run` runs there, `write` puts a file there. */
export function inProcessCli(prefix: string): { run(args: string[]): Promise<CliRun>; write(name: string, text: string): string; dir(): string } {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    async run(args) {
      let stdout = '';
      let stderr = '';
      const plain = colours(false);
      const code = await runCli(
        args,
        {
          out: (t) => {
            stdout += `${t}\n`;
          },
          err: (t) => {
            stderr += `${t}\n`;
          },
          c: plain,
          ce: plain,
        },
        dir,
      );
      return { code, stdout, stderr };
    },
    write(name, text) {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    dir: () => dir,
  };
}
