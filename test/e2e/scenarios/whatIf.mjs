// (e) "ShardLens: What If…" from the command palette: answer its two questions (GPU counts,
// GPU types), and the panel's What-if view draws one point per cluster on the step-time
// curve, each at the step time `shardlens sweep --format json` prints for that cluster.
// View DOM (webview/src/html.ts, lineChart.ts, whatIfRender.ts):
//   canvas#whatif-time-chart[data-point-count][data-points=JSON [{type, gpus, value, x, y}] in CSS px]
//   #whatif-table tbody > tr[data-type][data-gpus][data-feasible]
import path from 'node:path';
import { webviewContent } from '../lib/workbench.mjs';
import { pixelsAt } from '../lib/canvas.mjs';
import { waitFor } from '../lib/poll.mjs';

/** Counts typed into the first question; the example's own cluster (2 GPUs) is among them. */
const COUNTS = [1, 2, 4];

/** Same planner, same model, same seed: equal to the CLI's number up to JSON round trips. */
const close = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

/** The quick input's title once it reads `text` (the What-if command asks twice in the same widget). */
async function question(page, text, timeoutMs = 15_000) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: text }).waitFor({ timeout: timeoutMs });
}

/** @param {import('../run.mjs').ScenarioContext} ctx @param {string} file */
export async function whatIf({ page, ws, report, cli }, file) {
  const oracle = cli(['sweep', path.join(ws, file), '--gpus', COUNTS.join(',')]);
  const rows = oracle.rows ?? [];
  await report.check(`\`shardlens sweep --gpus ${COUNTS.join(',')}\` plans ${COUNTS.length} clusters, all feasible (the oracle)`, async () => {
    if (rows.length !== COUNTS.length || rows.some((r) => !r.feasible)) throw new Error(JSON.stringify(oracle).slice(0, 400));
  });
  const asked = await report.check('run "ShardLens: What If…" from the command palette and answer its questions', async () => {
    // The palette lists document commands only while a config's editor is active.
    // (Its tab, not the panel's "What If: <file>" or "GPU Balance: <file>" tab.)
    const exact = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const input = page.locator('.quick-input-widget input.input');
    // A webview that still holds the keyboard focus (the panel of the scenario
    // before) can swallow F1: focus the editor's tab again and retry.
    for (let attempt = 1; ; attempt++) {
      await page
        .locator('.tabs-container .tab')
        .filter({ has: page.locator('.label-name', { hasText: exact }) })
        .first()
        .click({ timeout: 10_000 });
      await page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    await input.fill('>ShardLens: What If');
    await page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: /^ShardLens: What If…$/ }) })
      .first()
      .click({ timeout: 15_000 });
    await question(page, 'GPU counts');
    await input.fill(COUNTS.join(', '));
    await page.keyboard.press('Enter');
    await question(page, 'GPU types');
    // Nothing picked: the config's own type.
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
  });
  if (!asked) return;
  const canvas = webviewContent(page, 'canvas#whatif-time-chart');
  const drawn = await report.check(`the What-if view draws one point per cluster (${rows.length})`, () =>
    waitFor(
      `${rows.length} points on #whatif-time-chart`,
      async () => {
        const count = Number(await canvas.getAttribute('data-point-count', { timeout: 1000 }));
        if (count !== rows.length) return undefined;
        return JSON.parse((await canvas.getAttribute('data-points', { timeout: 1000 })) ?? '[]');
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    ),
  );
  if (drawn) {
    await report.check('each point is the step time `shardlens sweep --format json` prints for its cluster', async () => {
      const bad = [];
      for (const r of rows) {
        const p = drawn.find((x) => x.type === r.type && x.gpus === r.gpus);
        if (!p || !close(p.value, r.max_ms)) bad.push(`${r.type} × ${r.gpus}: cli ${r.max_ms} ms, chart ${p ? p.value : 'missing'}`);
      }
      if (bad.length) throw new Error(bad.join('\n'));
    });
    await report.check('each point is painted on the canvas', async () => {
      const painted = await canvas.evaluate(
        pixelsAt,
        drawn.map((p) => [p.x, p.y]),
      );
      const blank = drawn.filter((_, i) => !painted[i]);
      if (blank.length) throw new Error(`unpainted points: ${JSON.stringify(blank)}`);
    });
    await report.check('the table lists every cluster', async () => {
      const n = await webviewContent(page, '#whatif-table tbody tr[data-gpus]').count();
      if (n !== rows.length) throw new Error(`${n} rows, want ${rows.length}`);
    });
  }
  await canvas.scrollIntoViewIfNeeded({ timeout: 5000 }).catch(() => {});
  await report.shot(page, '6-what-if');
}
