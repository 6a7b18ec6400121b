// (d) "ShardLens: Show GPU Balance": the panel's time chart is drawn with one bar group per
// GPU (its reported bar centres are painted), and its accessible table holds the numbers `shardlens plan --format json` prints.
// Panel DOM (webview/src/html.ts, render.ts, charts.ts):
//   #balance-table tbody[data-side=current|proposed] > tr[data-gpu][data-side] >
//     td[data-col=total][data-value=<raw ms>] (text: 3 decimals)
//   canvas#time-chart[data-gpu-count][data-bars=JSON [{side, gpu, x, y, top, base}] in CSS px]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { runCommand, webviewContent } from '../lib/workbench.mjs';
import { barInk, pixelsAt } from '../lib/canvas.mjs';
import { waitFor } from '../lib/poll.mjs';

/** The table shows ms with 3 decimals; data-value is the raw number. */
const close = (a, b) => Math.abs(a - b) <= 5e-4 + 1e-6 * Math.abs(b);

/** @param {import('../run.mjs').ScenarioContext} ctx @param {string} file @param {string} strategy */
export async function balance({ page, ws, report, cli }, file, strategy) {
  const plan = cli(['plan', path.join(ws, file), '--strategy', strategy]);
  const n = plan.gpus?.length ?? 0;
  // GPUs the chart must show even when the CLI oracle fails: the config's device count.
  const devices = n || Number(parse(readFileSync(path.join(ws, file), 'utf8'))?.devices?.count ?? 0);
  await report.check(`\`shardlens plan --strategy ${strategy}\` plans the replanned file (the oracle)`, async () => {
    if (!n || !plan.feasible) throw new Error(`gpus: ${n}, feasible: ${plan.feasible}, reasons: ${JSON.stringify(plan.reasons ?? plan.error)}`);
  });
  await report.check('run "ShardLens: Show GPU Balance" from the command palette', () => runCommand(page, 'ShardLens: Show GPU Balance'));
  // The proposal is what `plan` computes (same planner, same start placement, same strategy).
  const rows = webviewContent(page, '#balance-table tbody[data-side="proposed"] tr[data-gpu]');
  const table =
    n === 0
      ? undefined
      : await report.check(`the balance table lists ${n} GPUs`, () =>
          waitFor(
            `${n} proposed rows in #balance-table`,
            async () => {
              const got = await rows.evaluateAll((trs) =>
                trs.map((tr) => {
                  const total = tr.querySelector('[data-col="total"]');
                  return { gpu: Number(tr.getAttribute('data-gpu')), value: Number(total?.getAttribute('data-value')), text: total?.textContent ?? '' };
                }),
              );
              return got.length === n && n > 0 ? got : undefined;
            },
            { timeoutMs: 60_000 },
          ),
        );
  if (table) {
    await report.check(`its per-GPU total ms match \`shardlens plan --strategy ${strategy} --format json\``, async () => {
      const bad = [];
      for (const g of plan.gpus) {
        const row = table.find((r) => r.gpu === g.gpu);
        if (!row || !close(row.value, g.total_ms) || !close(Number(row.text), g.total_ms)) {
          bad.push(`GPU ${g.gpu}: cli ${g.total_ms} ms, table ${row ? `${row.text} (${row.value})` : 'missing'}`);
        }
      }
      if (bad.length) throw new Error(bad.join('\n'));
    });
  }
  await report.check(`the time chart is drawn with one bar group per GPU (${devices})`, async () => {
    const canvas = webviewContent(page, 'canvas#time-chart');
    const drawn = await waitFor(
      'a drawn chart with bar positions',
      async () => {
        const bars = JSON.parse((await canvas.getAttribute('data-bars', { timeout: 1000 })) ?? '[]');
        const ink = await canvas.evaluate(barInk);
        return bars.length && ink > 0.005 ? { bars, ink } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const gpus = new Set(drawn.bars.map((b) => b.gpu));
    if (Number(await canvas.getAttribute('data-gpu-count')) !== gpus.size) throw new Error('data-gpu-count disagrees with the drawn bars');
    if (gpus.size !== devices) throw new Error(`bars for ${gpus.size} GPUs (${[...gpus].join(', ')}), want ${devices}`);
    // Each bar's centre must be painted in a bar colour: the chart is drawn, not just laid out.
    const painted = await canvas.evaluate(
      pixelsAt,
      drawn.bars.map((b) => [b.x, b.y]),
    );
    const blank = drawn.bars.filter((_, i) => !painted[i]);
    if (blank.length) throw new Error(`unpainted bar centres: ${JSON.stringify(blank)}`);
  });
  await webviewContent(page, 'canvas#time-chart')
    .scrollIntoViewIfNeeded({ timeout: 5000 })
    .catch(() => {});
  await report.shot(page, '4-balance-chart');
  // The table is visually hidden until "Show table"; show it for the screenshot.
  await webviewContent(page, '#toggle-table[aria-pressed="false"]')
    .click({ timeout: 5000 })
    .catch(() => {});
  await webviewContent(page, '#balance-table')
    .scrollIntoViewIfNeeded({ timeout: 5000 })
    .catch(() => {});
  await report.shot(page, '5-balance-table');
}
