/**
 * `npm run test:vscode`: the extension-host suite through @vscode/test-electron's runTests,
 * unchanged, with the VS Code it can get here:
 *   1. VSCODE_EXECUTABLE, when set (a desktop VS Code);
 *   2. else the code-server stand-in (test/vscode/code-server-exe.mjs) when test/e2e/host has
 *      code-server installed (test/e2e/install-host.sh) and Chromium is found (CHROMIUM_PATH, else on PATH);
 *   3. else test-electron's own download (needs the VS Code update server).
 * When none can run it says so and exits 0, or 1 with --strict.
 */
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { findChromium } from '../e2e/lib/chromium.mjs';
import { buildSuite } from './buildSuite.mjs';

const REPO = path.resolve(__dirname, '../..');
const strict = process.argv.includes('--strict');
const STAND_IN = path.join(REPO, 'test/vscode/code-server-exe.mjs');
const CODE_SERVER = path.join(REPO, 'test/e2e/host/node_modules/code-server/out/node/entry.js');

function pickExecutable(): { exe?: string; how: string } {
  if (process.env.VSCODE_EXECUTABLE) return { exe: process.env.VSCODE_EXECUTABLE, how: `VSCODE_EXECUTABLE=${process.env.VSCODE_EXECUTABLE}` };
  if (existsSync(CODE_SERVER) && findChromium().ok) return { exe: STAND_IN, how: 'code-server stand-in (test/vscode/code-server-exe.mjs)' };
  return { how: 'download by @vscode/test-electron' };
}

async function main(): Promise<number> {
  if (!existsSync(path.join(REPO, 'dist/extension.js'))) {
    console.error('test:vscode: dist/extension.js is missing; run `npm run build` first');
    return 1;
  }
  const extensionTestsPath = await buildSuite();
  // The tests edit files (Replan), so they get a copy of the examples.
  const workspace = mkdtempSync('/tmp/sl-vsws-');
  cpSync(path.join(REPO, 'examples'), workspace, { recursive: true });
  const { exe, how } = pickExecutable();
  console.log(`test:vscode: running the suite in ${how}`);
  try {
    await runTests({
      vscodeExecutablePath: exe,
      extensionDevelopmentPath: REPO,
      extensionTestsPath,
      launchArgs: [workspace, '--disable-extensions'],
    });
    console.log('test:vscode: passed');
    return 0;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (!exe && /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|getaddrinfo|download/i.test(msg)) {
      console.log(
        `test:vscode: NOT RUN: no VS Code could be had (${msg.split('\n')[0]}). ` +
          'Set VSCODE_EXECUTABLE to a VS Code binary, or install code-server with test/e2e/install-host.sh.',
      );
      return strict ? 1 : 0;
    }
    console.error(`test:vscode: FAILED: ${msg}`);
    return 1;
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
