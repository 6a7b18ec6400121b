/**
 * Entry of the extension-host suite (the `extensionTestsPath` module): VS Code requires it and
 * calls run(). Runs in desktop VS Code via @vscode/test-electron (test/vscode/runTest.ts) and in
 * code-server's extension host via the workbench payload (test/e2e/run.mjs).
 */
import * as vscode from 'vscode';
import { runRegistered, waitFor } from './harness';
import { EXTENSION_ID } from './fixtures';
import './diagnostics.test';
import './codeLens.test';
import './replanMoves.test';
import './replan.test';
import './balance.test';

export async function run(): Promise<void> {
  await waitFor(`extension ${EXTENSION_ID} to be present`, () => vscode.extensions.getExtension(EXTENSION_ID), 30_000);
  await runRegistered((line) => console.log(`[shardlens-suite] ${line}`));
}
