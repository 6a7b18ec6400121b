/**
 * The What-if view in headless Chromium (the same harness as the balance
 * panel): chart.js draws one point per feasible cluster on both curves, the
 * table lists every cluster, the tabs and the Cancel / Other clusters buttons
 * post their messages, and nothing breaks the CSP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sampleSweep } from '../../unit/webview/fixtures';
import { pixelAt, postToWebview, startHarness, type Harness } from './webviewPage';

type Win = { __posted: Array<Record<string, unknown>>; __state: unknown; __violations: string[] };
interface Point {
  type: string;
  gpus: number;
  value: number;
  x: number;
  y: number;
}

const posted = (page: Page) => page.evaluate(() => (window as unknown as Win).__posted);

async function pointsOf(page: Page, canvasId: string): Promise<Point[]> {
  const raw = await page.getAttribute(`#${canvasId}`, 'data-points');
  return raw ? (JSON.parse(raw) as Point[]) : [];
}

async function showWhatIf(page: Page): Promise<void> {
  await postToWebview(page, { type: 'showView', view: 'whatIf' });
  await postToWebview(page, { type: 'whatIf', fileName: 'criteo.shard.yaml', result: sampleSweep() });
  await page.waitForSelector('#whatif-time-chart[data-point-count="5"]', { state: 'attached' });
}

describe('What-if view in Chromium', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('draws one point per feasible cluster on the step-time and cost curves, one line per GPU type', async () => {
    const page = await h.open();
    await showWhatIf(page);
    for (const id of ['whatif-time-chart', 'whatif-cost-chart']) {
      const points = await pointsOf(page, id);
      assert.deepEqual(points.map((p) => `${p.type}×${p.gpus}`).sort(), ['A100-80GB×2', 'A100-80GB×4', 'H100-80GB×1', 'H100-80GB×2', 'H100-80GB×4'].sort(), id);
      // More GPUs are further right; each point is painted in a series colour.
      const h100 = points.filter((p) => p.type === 'H100-80GB').sort((a, b) => a.gpus - b.gpus);
      assert.ok(h100[0].x < h100[1].x && h100[1].x < h100[2].x, `${id}: x grows with the GPU count`);
      for (const p of points) {
        const [r, g, b, a] = await pixelAt(page, id, p.x, p.y);
        assert.ok(a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 40, `${id}: ${p.type}×${p.gpus} painted (${r},${g},${b},${a})`);
      }
    }
    const time = await pointsOf(page, 'whatif-time-chart');
    const at = (t: string, n: number) => time.find((p) => p.type === t && p.gpus === n)!;
    assert.equal(at('H100-80GB', 4).value, 13);
    assert.ok(at('H100-80GB', 4).y > at('H100-80GB', 1).y, 'a shorter step is drawn lower');
    assert.equal(await page.getAttribute('body', 'data-view'), 'whatIf');
    assert.equal(await page.getAttribute('#view-whatif', 'aria-selected'), 'true');
    assert.equal(await page.isVisible('#balance-view'), false);
    await page.close();
  });

  it('the table lists every cluster with its numbers, and why an infeasible one is', async () => {
    const page = await h.open();
    await showWhatIf(page);
    const rows = await page.$$eval('#whatif-table tbody tr', (trs) =>
      trs.map((tr) => ({
        type: tr.getAttribute('data-type'),
        gpus: Number(tr.getAttribute('data-gpus')),
        feasible: tr.getAttribute('data-feasible'),
        step: tr.querySelector('[data-col="step"]')?.getAttribute('data-value'),
        text: tr.querySelector('[data-col="feasible"]')?.textContent,
      })),
    );
    assert.equal(rows.length, 6);
    const bad = rows.find((r) => r.type === 'A100-80GB' && r.gpus === 1)!;
    assert.equal(bad.feasible, 'false');
    assert.equal(bad.step, '');
    assert.match(bad.text ?? '', /^no: no GPU has room/);
    assert.equal(rows.find((r) => r.type === 'H100-80GB' && r.gpus === 2)!.step, '22');
    assert.match((await page.textContent('#whatif-summary')) ?? '', /Fastest: 4 × H100-80GB/);
    assert.deepEqual(await page.evaluate(() => (window as unknown as Win).__violations), []);
    await page.close();
  });

  it('progress shows Cancel, which posts whatIfCancel; the result hides it; buttons and tabs post their messages', async () => {
    const page = await h.open();
    await postToWebview(page, { type: 'showView', view: 'whatIf' });
    await postToWebview(page, { type: 'whatIfProgress', fileName: 'criteo.shard.yaml', message: 'planning 2 × H100-80GB (2 of 6)…', percent: 17 });
    await page.waitForSelector('#whatif-cancel:not([hidden])');
    assert.match((await page.textContent('#whatif-status')) ?? '', /planning 2 × H100-80GB \(2 of 6\)… \(17%\)/);
    await page.click('#whatif-cancel');
    await page.click('#whatif-rerun');
    await postToWebview(page, { type: 'whatIf', fileName: 'criteo.shard.yaml', result: sampleSweep() });
    await page.waitForSelector('#whatif-cancel[hidden]', { state: 'attached' });
    await page.click('#view-balance');
    assert.equal(await page.isVisible('#whatif-view'), false);
    const types = (await posted(page)).map((m) => m.type);
    assert.deepEqual(
      types.filter((t) => t !== 'ready'),
      ['whatIfCancel', 'whatIfRun', 'viewChanged'],
    );
    assert.deepEqual((await posted(page)).at(-1), { type: 'viewChanged', view: 'balance' });
    await page.close();
  });

  it('redraws the curve from the saved state when the webview is recreated', async () => {
    const first = await h.open();
    await showWhatIf(first);
    const saved = await first.evaluate(() => (window as unknown as Win).__state);
    await first.close();
    const page = await h.open(saved);
    await page.waitForSelector('#whatif-time-chart[data-point-count="5"]', { state: 'attached' });
    assert.equal(await page.getAttribute('body', 'data-view'), 'whatIf');
    await page.close();
  });
});
