// Compiles the extension-host suite (test/vscode/suite/*.ts) into one CommonJS module that VS
// Code can `require` as extensionTestsPath: out/vscode-suite/index.js (gitignored).
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SUITE_JS = path.join(REPO, 'out/vscode-suite/index.js');

/** Builds the suite; returns the path of the module to pass as extensionTestsPath. */
export async function buildSuite() {
  await esbuild.build({
    entryPoints: [path.join(REPO, 'test/vscode/suite/index.ts')],
    outfile: SUITE_JS,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return SUITE_JS;
}
