#!/usr/bin/env node
// `npm run bench:startup`: what a user waits for when opening a DLRM-scale config in a real
// VS Code (code-server 4.100.3 + Debian chromium, like test/e2e/run.mjs). Each run is cold:
// fresh profile, fresh server, extension installed from the VSIX (or, with --dev, loaded
// from the repo). Per run it measures, in the page's clock (performance.now, ms):
//   open → first code lens         click on dlrm-856.shard.yaml to the first lens drawn
//   open → first diagnostic        … to the status bar's Problems count turning non-zero
//   activation                     "Activation: N ms" of the Running Extensions view
//   edit → error squiggle          typing an unknown key to its squiggle (warm server)
//   baseline                       `node dist/cli.js check FILE` wall time (same engine, no editor)
// and where onnxruntime's native library got loaded (/proc/PID/maps): the extension host must
// not load it (lazy: only the language server, when the learned model is first used).
// Prints medians over --runs N (default 3). No thresholds: a benchmark reports, never fails
// on timing.
import { existsSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, VSIX } from '../e2e/lib/paths.mjs';
import { installExtension, makeProfile, removeProfile, startCodeServer } from '../e2e/lib/codeServer.mjs';
import { launchBrowser } from '../e2e/lib/browser.mjs';
import { explorerRow, openWorkbench, remoteUri, runCommand } from '../e2e/lib/workbench.mjs';
import { waitFor } from '../e2e/lib/poll.mjs';
import { groupProcesses } from '../e2e/lib/processes.mjs';

const argv = process.argv.slice(2);
const value = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const RUNS = Number(value('runs') ?? 3);
const FILE = value('file') ?? 'dlrm-856.shard.yaml';
const probeExtension = value('extension');
const EXAMPLES = value('examples') ?? path.join(REPO, 'examples');
const dev = argv.includes('--dev') || !!probeExtension;

/** Roles of the processes of the run that mapped onnxruntime's shared library. */
function onnxLoadedIn(groupPid) {
  // Upper case makes the one wrong answer stand out in the table.
  const roles = groupProcesses(groupPid, 'libonnxruntime')
    .filter((p) => p.libs.length)
    .map((p) => (p.role === 'extension host' ? 'EXTENSION HOST' : p.role));
  return roles.length ? [...new Set(roles)].join(', ') : 'nowhere';
}

/**
 * Records, in the page's clock, when each watched thing first shows: a selector matches, or
 * for `problems`, the status bar's Problems item counts something (a diagnostic far down
 * the file has no visible squiggle; the status bar shows it at once).
 */
async function watch(page, selectors) {
  await page.evaluate((sels) => {
    const w = /** @type {any} */ (window);
    w.__slFirst = {};
    const check = () => {
      for (const [k, sel] of Object.entries(sels)) {
        if (k in w.__slFirst) continue;
        const hit = sel === 'problems' ? /:\s*[1-9]/.test(document.getElementById('status.problems')?.getAttribute('aria-label') ?? '') : !!document.querySelector(sel);
        if (hit) w.__slFirst[k] = performance.now();
      }
    };
    w.__slObserver?.disconnect();
    w.__slObserver = new MutationObserver(check);
    w.__slObserver.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    w.__slT0 = performance.now();
  }, selectors);
}
const firstTimes = (page) =>
  page.evaluate(() => {
    const w = /** @type {any} */ (window);
    return Object.fromEntries(Object.entries(w.__slFirst).map(([k, t]) => [k, Math.round(t - w.__slT0)]));
  });

async function oneRun(i) {
  const profile = makeProfile();
  const ws = mkdtempSync('/tmp/sl-bws-');
  cpSync(EXAMPLES, ws, { recursive: true });
  let server;
  let browser;
  try {
    if (!dev) installExtension(profile, VSIX);
    server = await startCodeServer(profile, { workspace: ws });
    let context;
    ({ browser, context } = await launchBrowser(server.base));
    const page = await context.newPage();
    const payload = dev ? [['extensionDevelopmentPath', remoteUri(server.base, probeExtension ?? REPO)]] : undefined;
    await openWorkbench(page, server.base, { folder: ws, expectFile: FILE, payload });
    const onnxBefore = onnxLoadedIn(server.pid);
    await watch(page, {
      lens: '.monaco-editor .codelens-decoration',
      diagnostic: 'problems',
    });
    await explorerRow(page, FILE).click();
    const t = await waitFor(
      'the first code lens',
      async () => {
        const f = await firstTimes(page);
        return 'lens' in f ? f : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    // Diagnostics come from the same analysis; wait a little longer if the file has any.
    const withDiag = await waitFor(
      'a diagnostic',
      async () => {
        const f = await firstTimes(page);
        return 'diagnostic' in f ? f : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    ).catch(() => t);
    const onnxAfter = onnxLoadedIn(server.pid);

    // Warm: type an unknown key at the end of the first line and time its squiggle.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    await watch(page, { error: '.monaco-editor .squiggly-error' });
    await page.keyboard.type('\npoolling: 1', { delay: 0 });
    const edit = await waitFor(
      'the squiggle of the typed error',
      async () => {
        const f = await firstTimes(page);
        return 'error' in f ? f.error : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    ).catch(() => undefined);

    await runCommand(page, 'Developer: Show Running Extensions');
    const activation = await waitFor(
      'ShardLens in Running Extensions',
      async () => {
        const rows = await page.locator('.runtime-extensions-editor .monaco-list-row').allTextContents();
        const row = rows.find((r) => /shardlens/i.test(r) && /Activation: \d+ms/.test(r));
        return row ? Number(row.match(/Activation: (\d+)ms/)[1]) : undefined;
      },
      { timeoutMs: 20_000 },
    ).catch(() => undefined);
    const r = { run: i + 1, lens: t.lens, diagnostic: withDiag.diagnostic, activation, edit, onnxBefore, onnxAfter };
    console.log(`run ${r.run}: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    removeProfile(profile);
    rmSync(ws, { recursive: true, force: true });
  }
}

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

async function main() {
  const r = spawnSync('bash', [path.join(REPO, 'test/e2e/install-host.sh')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
  if (!dev && !existsSync(VSIX)) spawnSync('npm', ['run', 'package', '--silent'], { stdio: 'inherit', cwd: REPO });
  console.log(`bench:startup: ${FILE}, ${RUNS} cold runs, extension from ${dev ? 'the repo (development path)' : path.relative(REPO, VSIX)}`);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(i));
  // Baseline: the same engine without an editor (process start + check of the same file).
  const cliMs = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [path.join(REPO, 'dist/cli.js'), 'check', path.join(EXAMPLES, FILE), '--format', 'json'], { stdio: 'ignore' });
    cliMs.push(performance.now() - t);
  }
  const fmt = (x) => (x === undefined ? 'n/a' : `${Math.round(x)} ms`);
  const rows = [
    ['open → first code lens', runs.map((x) => x.lens)],
    ['open → first diagnostic', runs.map((x) => x.diagnostic)],
    ['extension activation', runs.map((x) => x.activation)],
    ['edit → error squiggle (warm)', runs.map((x) => x.edit)],
    ['baseline: `shardlens check` CLI', cliMs],
  ];
  console.log('');
  console.log(`| measure | median | ${runs.map((x) => `run ${x.run}`).join(' | ')} |`);
  console.log(`| --- | --- | ${runs.map(() => '---').join(' | ')} |`);
  for (const [name, xs] of rows) console.log(`| ${name} | ${fmt(median(xs))} | ${xs.map(fmt).join(' | ')} |`);
  console.log('');
  console.log(`onnxruntime loaded (workbench open, before the file): ${[...new Set(runs.map((x) => x.onnxBefore))].join(' / ')}`);
  console.log(`onnxruntime loaded (after first lenses):               ${[...new Set(runs.map((x) => x.onnxAfter))].join(' / ')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
