/**
 * The unit tier's guard (test/unit/noChildProcesses.ts, loaded by
 * `npm run test:unit`) is on: every way of starting a child process throws with
 * the message that says where the test belongs. Breaks if test:unit stops
 * loading the guard, or the guard misses one of these functions (then the call
 * starts `node` and returns, and the assertion fails).
 */
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import { execFileSync as namedExecFileSync, spawnSync as namedSpawnSync } from 'node:child_process';
import { it } from 'node:test';

const NODE = process.execPath;
const REFUSED = /unit tests are in-process: child_process\.\w+\(.*\) is not allowed here; .*move this test to test\/integration\//;

it('spawn, spawnSync, exec, execSync, execFile, execFileSync and fork all throw', () => {
  const starts: Array<[string, () => unknown]> = [
    ['spawn', () => cp.spawn(NODE, ['-e', '0'])],
    ['spawnSync', () => cp.spawnSync(NODE, ['-e', '0'])],
    ['exec', () => cp.exec(`"${NODE}" -e 0`)],
    ['execSync', () => cp.execSync(`"${NODE}" -e 0`)],
    ['execFile', () => cp.execFile(NODE, ['-e', '0'])],
    ['execFileSync', () => cp.execFileSync(NODE, ['-e', '0'])],
    ['fork', () => cp.fork('-e', ['0'])],
    ['spawnSync (named import)', () => namedSpawnSync(NODE, ['-e', '0'])],
    ['execFileSync (named import)', () => namedExecFileSync(NODE, ['-e', '0'])],
  ];
  for (const [name, start] of starts) assert.throws(start, REFUSED, `${name} was allowed`);
});
