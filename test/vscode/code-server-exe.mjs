#!/usr/bin/env node
// A stand-in for the VS Code executable that @vscode/test-electron's runTests() spawns, for
// machines where desktop VS Code cannot be had (no internet: its download fails). It accepts
// the arguments runTests passes (--extensionDevelopmentPath=, --extensionTestsPath=, a folder),
// runs the tests in code-server's real Node extension host through the workbench `payload`
// (docs/research/e2e-recipe.md §7-8), and exits with the suite's code like VS Code would.
// It uses a fresh short profile of its own (the IPC socket path must stay short), ignoring
// --user-data-dir/--extensions-dir; desktop-only flags (--no-sandbox, ...) are ignored too.
import { makeProfile, removeProfile, startCodeServer } from '../e2e/lib/codeServer.mjs';
import { launchBrowser } from '../e2e/lib/browser.mjs';
import { runExtensionTests } from '../e2e/lib/payload.mjs';
import { readdirSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const extensionDevelopmentPath = opt('extensionDevelopmentPath');
const extensionTestsPath = opt('extensionTestsPath');
const folder = args.find((a) => !a.startsWith('-'));
if (!extensionDevelopmentPath || !extensionTestsPath || !folder) {
  console.error('code-server-exe: needs --extensionDevelopmentPath=, --extensionTestsPath= and a folder to open');
  process.exit(2);
}

const profile = makeProfile();
let code = 1;
let server;
let browser;
let context;
try {
  server = await startCodeServer(profile, { workspace: folder });
  ({ browser, context } = await launchBrowser(server.base));
  const result = await runExtensionTests(context, server.base, {
    folder,
    extensionDevelopmentPath,
    extensionTestsPath,
    expectFile: readdirSync(folder).find((f) => !f.startsWith('.')) ?? '',
    onLog: (line) => console.log(line),
  });
  code = result.code;
} catch (err) {
  console.error(`code-server-exe: ${err instanceof Error ? err.stack : err}`);
  if (server) console.error(server.readLog());
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  removeProfile(profile);
}
process.exit(code);
