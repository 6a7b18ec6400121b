#!/usr/bin/env node
// `npm run test:e2e`: ShardLens in a real VS Code (code-server 4.100.3) in a real browser
// (Debian chromium via playwright-core), offline. Steps:
//   1. install code-server if missing (test/e2e/install-host.sh; cached in test/e2e/host/node_modules)
//   2. package the linux-x64 VSIX (npm run package) and install it with --install-extension
//   3. start code-server on a free loopback port (own process group, fresh short profile) on a
//      copy of examples/, and check what a user sees: (a) Problems of the broken example,
//      (b) code lenses, (c) Replan from the palette rewrites placement: on disk, (d) the
//      balance panel's chart and table against `shardlens plan --format json`, (e) the What-if
//      view draws one point per cluster at `shardlens sweep --format json`'s step times
//   4. run the extension-host suite (test/vscode/suite) inside code-server's extension host
//      through the workbench payload, with the repo as extensionDevelopmentPath
// Screenshots and the server log go to test-results/e2e/. Ends with "N passed, N failed";
// exits 1 on any failure.
//
// Flags: --no-package (use the existing VSIX), --dev (load the repo as development extension
// instead of the VSIX), --no-suite, --keep (keep the temp workspace and profile);
// harness self-test with a stand-in extension: --extension DIR --examples DIR --cli FILE.
import { spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { E2E_DIR, REPO, RESULTS_DIR, VSIX } from './lib/paths.mjs';
import { installExtension, listExtensions, makeProfile, removeProfile, startCodeServer } from './lib/codeServer.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openWorkbench, remoteUri } from './lib/workbench.mjs';
import { runExtensionTests } from './lib/payload.mjs';
import { createReport } from './lib/report.mjs';
import { groupProcesses } from './lib/processes.mjs';
import { waitFor } from './lib/poll.mjs';
import { problems, FILE as MISTAKES } from './scenarios/problems.mjs';
import { lenses } from './scenarios/lenses.mjs';
import { replan } from './scenarios/replan.mjs';
import { balance } from './scenarios/balance.mjs';
import { whatIf } from './scenarios/whatIf.mjs';
import { prepareMovesWorkspace, replanMoves } from './scenarios/replanMoves.mjs';
import { buildSuite } from '../vscode/buildSuite.mjs';

/**
 * @typedef {{ page: import('playwright-core').Page, ws: string, report: ReturnType<typeof createReport>,
 *             cli: ((args: string[]) => any) & { resolve: (file: string) => string } }} ScenarioContext
 */

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const probeExtension = value('extension');
const EXAMPLES = value('examples') ?? path.join(REPO, 'examples');
/** The CLI oracle; with the VSIX it becomes the installed copy (the bits the server runs). */
let CLI = value('cli') ?? path.join(REPO, 'dist/cli.js');
/** The example the lens/replan/balance scenarios use (DESIGN: the Criteo-like 26-table config). */
const LENS_FILE = value('file') ?? 'criteo-26.shard.yaml';
/** Strategy Replan uses by default (setting shardlens.replan.strategy, default "best"). */
const STRATEGY = 'best';

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const report = createReport(RESULTS_DIR);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: REPO, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

/** The CLI as the oracle: `node CLI ARGS --format json` (exit 1 on config errors still prints JSON). */
function cli(args) {
  try {
    return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--format', 'json'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 }));
  } catch (err) {
    if (err.stdout) return JSON.parse(err.stdout);
    throw err;
  }
}
/** The CLI prints file names relative to its working directory. */
cli.resolve = (file) => path.resolve(REPO, file);

/** A fresh copy of the examples (the tests edit files); short path under /tmp. */
function workspaceCopy() {
  const ws = mkdtempSync('/tmp/sl-ws-');
  cpSync(EXAMPLES, ws, { recursive: true });
  return ws;
}

async function main() {
  console.log('e2e: code-server host');
  sh('bash', [path.join(E2E_DIR, 'install-host.sh')]);

  const extensionDir = probeExtension ?? REPO;
  const useVsix = !probeExtension && !flag('dev');
  if (useVsix) {
    if (!flag('no-package') || !existsSync(VSIX)) {
      console.log(`e2e: npm run package (${elapsed()})`);
      sh('npm', ['run', 'package', '--silent']);
    }
    console.log(`e2e: VSIX ${path.relative(REPO, VSIX)} ${(statSync(VSIX).size / 2 ** 20).toFixed(1)} MiB`);
  } else if (!probeExtension && !existsSync(path.join(REPO, 'dist/extension.js'))) {
    sh('npm', ['run', 'build', '--silent']);
  }
  const suiteJs = flag('no-suite') ? undefined : await buildSuite();

  const profile = makeProfile();
  const wsUi = workspaceCopy();
  const wsSuite = workspaceCopy();
  prepareMovesWorkspace(wsUi, LENS_FILE);
  let server;
  let browser;
  try {
    if (useVsix) {
      await report.check('the VSIX installs with --install-extension', async () => {
        installExtension(profile, VSIX);
        const list = listExtensions(profile);
        if (!list.some((l) => l.startsWith('shardlens.shardlens@'))) throw new Error(`installed: ${list.join(', ') || 'nothing'}`);
      });
      const installed = readdirSync(profile.extensionsDir).find((d) => d.startsWith('shardlens.shardlens-'));
      if (installed) CLI = path.join(profile.extensionsDir, installed, 'dist/cli.js');
    }
    server = await startCodeServer(profile, { workspace: wsUi, env: probeExtension ? { SHARDLENS_CLI: CLI } : {} });
    console.log(`e2e: code-server ${server.base} (${elapsed()})`);
    let context;
    ({ browser, context } = await launchBrowser(server.base));
    const page = await context.newPage();
    const payload = useVsix ? undefined : [['extensionDevelopmentPath', remoteUri(server.base, extensionDir)]];
    await report.check('the workbench opens the examples folder', () => openWorkbench(page, server.base, { folder: wsUi, expectFile: MISTAKES, payload }));
    /** @type {ScenarioContext} */
    const ctx = { page, ws: wsUi, report, cli };
    console.log(`e2e: (a) problems (${elapsed()})`);
    await problems(ctx);
    console.log(`e2e: (b) code lenses (${elapsed()})`);
    await lenses(ctx, LENS_FILE);
    if (useVsix) {
      await report.check('the language server runs from the installed VSIX with its linux-x64 onnxruntime', async () => {
        const procs = await waitFor(
          'the language server process',
          () => {
            const p = groupProcesses(server.pid, '/onnxruntime-node/').filter((x) => x.role === 'language server');
            return p.length ? p : undefined;
          },
          { timeoutMs: 10_000 },
        );
        const bad = procs.filter((p) => !p.cmd.includes(profile.extensionsDir) || p.libs.some((l) => !l.startsWith(profile.extensionsDir) || !l.includes('/linux/x64/')));
        if (bad.length) throw new Error(bad.map((p) => `${p.cmd}\n  ${p.libs.join('\n  ')}`).join('\n'));
        const host = groupProcesses(server.pid, 'libonnxruntime').filter((x) => x.role === 'extension host' && x.libs.length);
        if (host.length) throw new Error('the extension host loaded onnxruntime (it must stay in the language server)');
      });
    }
    console.log(`e2e: (c) replan (${elapsed()})`);
    await replan(ctx, LENS_FILE);
    console.log(`e2e: (d) balance panel (${elapsed()})`);
    await balance(ctx, LENS_FILE, STRATEGY);
    console.log(`e2e: (e) what if (${elapsed()})`);
    await whatIf(ctx, LENS_FILE);
    console.log(`e2e: (f) replan within a move budget (${elapsed()})`);
    await replanMoves(ctx);
    await page.close();

    if (suiteJs) {
      console.log(`e2e: extension-host suite in code-server (${elapsed()})`);
      const result = await runExtensionTests(context, server.base, {
        folder: wsSuite,
        expectFile: MISTAKES,
        extensionDevelopmentPath: extensionDir,
        extensionTestsPath: suiteJs,
        onLog: (line) => {
          if (/^\[shardlens-suite\] (ok|not ok) -/.test(line)) console.log(`    ${line}`);
        },
      });
      for (const line of result.logs) {
        const m = line.match(/^\[shardlens-suite\] (ok|not ok) - ([^:(]+)(.*)$/s);
        if (m) report.checks.push({ name: `suite: ${m[2].trim()}`, ok: m[1] === 'ok', ms: 0, error: m[1] === 'ok' ? undefined : m[3] });
      }
      await report.check('the extension-host suite exits 0 (codeAutomationExit)', async () => {
        if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.logs.filter((l) => !/\] ok -/.test(l)).join('\n')}`);
      });
    }
  } catch (err) {
    report.checks.push({ name: 'harness', ok: false, ms: 0, error: err.stack ?? String(err) });
    console.log(`  ✗ harness: ${err.stack ?? err}`);
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (server) copyFileSync(server.log, path.join(RESULTS_DIR, 'code-server.log'));
    if (!flag('keep')) {
      removeProfile(profile);
      rmSync(wsUi, { recursive: true, force: true });
      rmSync(wsSuite, { recursive: true, force: true });
    } else {
      console.log(`e2e: kept ${profile.dir} ${wsUi} ${wsSuite}`);
    }
  }
  const { passed, failed } = report.summary();
  console.log(`e2e: screenshots and logs in ${path.relative(REPO, RESULTS_DIR)}/ (${elapsed()})`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
