#!/usr/bin/env node
// `npm run screenshot`: regenerates the README's picture (extension/media/screenshot.png) the way a
// user sees ShardLens: the installed VSIX in real VS Code (code-server), the DLRM-scale example open
// with its code lenses, and the GPU balance panel beside it. Needs the VSIX (`npm run package`)
// and the host (test/e2e/install-host.sh), like `npm run test:e2e`.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO, VSIX } from './lib/paths.mjs';
import { installExtension, makeProfile, removeProfile, startCodeServer } from './lib/codeServer.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { codeLensTexts, openFile, openWorkbench, runCommand, webviewContent } from './lib/workbench.mjs';
import { waitFor } from './lib/poll.mjs';

const FILE = process.argv[2] ?? 'dlrm-856.shard.yaml';
const OUT = path.join(REPO, 'extension/media/screenshot.png');

const ws = mkdtempSync('/tmp/sl-shot-');
cpSync(path.join(REPO, 'examples'), ws, { recursive: true });
const profile = makeProfile();
installExtension(profile, VSIX);
const server = await startCodeServer(profile, { workspace: ws });
const { browser, context } = await launchBrowser(server.base);
try {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  await openWorkbench(page, server.base, { folder: ws, expectFile: FILE, timeoutMs: 60_000 });
  await openFile(page, FILE);
  await waitFor('the Replan lens', async () => (await codeLensTexts(page)).some((t) => /Replan/.test(t) && /→/.test(t)), { timeoutMs: 120_000 });
  await runCommand(page, 'ShardLens: Show GPU Balance');
  await waitFor('the balance table', async () => (await webviewContent(page, '#balance-table tr[data-gpu]').count()) > 0, { timeoutMs: 60_000 });
  await page.waitForTimeout(1500); // let chart.js finish its entry animation
  await page.screenshot({ path: OUT });
  console.log(`wrote ${path.relative(REPO, OUT)}`);
} finally {
  await browser.close();
  await server.stop();
  removeProfile(profile);
  rmSync(ws, { recursive: true, force: true });
}
