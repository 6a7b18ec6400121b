/**
 * Loaded by `npm run test:unit` (`--import`) into every unit test file's
 * process: the unit tier is in-process, so starting a child process there is a
 * mistake that should fail loudly, not slow the tier down quietly. Every way
 * `node:child_process` starts one (spawn, spawnSync, exec, execSync, execFile,
 * execFileSync, fork) throws, naming the command and where the test belongs.
 *
 * Only in the test files' processes (NODE_TEST_CONTEXT is set there by Node's
 * test runner), never in the runner itself, which starts those processes.
 * test/unit/guard/noChildProcesses.test.ts checks that the guard is on.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

/** The message a unit test that starts a process fails with. */
export function refusal(fn: string, command: unknown): string {
  return (
    `unit tests are in-process: child_process.${fn}(${JSON.stringify(String(command))}) is not allowed here; ` +
    'call the code in-process (e.g. runCli for the CLI, see test/unit/cli/runInProcess.ts) or move this test to test/integration/'
  );
}

if (process.env.NODE_TEST_CONTEXT) {
  const cp = childProcess as unknown as Record<string, unknown>;
  for (const fn of STARTERS) {
    cp[fn] = (command: unknown) => {
      throw new Error(refusal(fn, command));
    };
  }
  // ESM `import { spawnSync } from 'node:child_process'` binds to the builtin's
  // exports as they were; this makes those bindings see the throwing versions too.
  syncBuiltinESMExports();
}
