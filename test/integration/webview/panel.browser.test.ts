/**
 * The balance webview in headless Chromium: the page the extension renders,
 * the bundled script, chart.js drawing on real canvases, the CSP enforced by
 * the browser. See webviewPage.ts for the harness.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { msCell } from '../../../server/src/engine/format';
import { sampleBalance } from '../../unit/webview/fixtures';
import { NONCE, barsOf, pixelAt, postToWebview, startHarness, type Harness } from './webviewPage';

type Win = { __posted: Array<Record<string, unknown>>; __state: unknown; __violations: string[]; __warnings: string[] };

const posted = (page: Page) => page.evaluate(() => (window as unknown as Win).__posted);

async function showBalance(page: Page): Promise<void> {
  await postToWebview(page, { type: 'balance', fileName: 'criteo.shard.yaml', result: sampleBalance() });
  await page.waitForSelector('#balance-table tr[data-gpu]', { state: 'attached' });
}

describe('balance webview in Chromium', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('draws one bar group per GPU on the time chart, with painted bars', async () => {
    const page = await h.open();
    await showBalance(page);
    assert.equal(await page.getAttribute('#time-chart', 'data-gpu-count'), '4');
    assert.equal(await page.getAttribute('#memory-chart', 'data-gpu-count'), '4');
    const bars = await barsOf(page, 'time-chart');
    assert.equal(bars.length, 8, 'a written and a proposed stack for each of 4 GPUs');
    assert.deepEqual([...new Set(bars.map((b) => b.gpu))].sort(), [0, 1, 2, 3]);
    // Bars of one GPU stand next to each other, groups left to right by GPU.
    const cur = bars.filter((b) => b.side === 'current').sort((a, b) => a.gpu - b.gpu);
    const prop = bars.filter((b) => b.side === 'proposed').sort((a, b) => a.gpu - b.gpu);
    for (let g = 0; g < 4; g++) {
      assert.ok(cur[g].x < prop[g].x, `GPU ${g}: written left of proposed`);
      if (g > 0) assert.ok(prop[g - 1].x < cur[g].x, `GPU ${g - 1} group left of GPU ${g}`);
    }
    // GPU 0's written stack (13 ms) is the tallest bar.
    const tallest = [...bars].sort((a, b) => b.base - b.top - (a.base - a.top))[0];
    assert.deepEqual([tallest.side, tallest.gpu], ['current', 0]);
    // Every bar is painted at its centre, opaque (the proposed bars are lighter, not translucent).
    for (const b of bars) {
      const [r, g, bl, alpha] = await pixelAt(page, 'time-chart', b.x, b.y);
      assert.equal(alpha, 255, `${b.side} GPU ${b.gpu} painted opaque`);
      assert.ok(Math.max(r, g, bl) - Math.min(r, g, bl) > 40, `${b.side} GPU ${b.gpu} in a bar colour, not grey`);
    }
    const [, , , corner] = await pixelAt(page, 'time-chart', 1, 1);
    assert.equal(corner, 0, 'the canvas is transparent where nothing is drawn');
    await page.close();
  });

  it('the accessible table holds the same numbers, one row per GPU and placement', async () => {
    const page = await h.open();
    await showBalance(page);
    const r = sampleBalance();
    const rows = await page.$$eval('#balance-table tr[data-gpu]', (trs) =>
      trs.map((tr) => ({
        side: tr.getAttribute('data-side'),
        gpu: Number(tr.getAttribute('data-gpu')),
        cells: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-col]')).map((td) => [td.getAttribute('data-col'), td.textContent])),
        total: Number(tr.querySelector('td[data-col="total"]')?.getAttribute('data-value')),
      })),
    );
    assert.equal(rows.length, 8);
    for (const [side, data] of [
      ['current', r.current!],
      ['proposed', r.proposed!],
    ] as const) {
      for (const g of data.gpus) {
        const row = rows.find((x) => x.side === side && x.gpu === g.gpu);
        assert.ok(row, `${side} GPU ${g.gpu}`);
        assert.equal(row.cells.fwd, msCell(g.fwdMs));
        assert.equal(row.cells.bwd, msCell(g.bwdMs));
        assert.equal(row.cells.comm, msCell(g.commMs));
        assert.equal(row.cells.total, msCell(g.totalMs));
        assert.equal(row.total, g.totalMs);
        assert.equal(row.cells.tables, g.tables.join(', '));
      }
    }
    assert.equal(await page.textContent('[data-side="current"] [data-figure="imbalance"]'), '2.04\u00d7');
    assert.equal(await page.textContent('#imbalance-figures [data-figure="change"]'), 'step 13.0 ms \u2192 8.40 ms (\u221235%)');
    assert.equal(await page.textContent('[data-side="proposed"] [data-figure="phase-forward"]'), 'forward 2.50 ms (GPU 0)');
    assert.match((await page.textContent('#balance-subtitle')) ?? '', /criteo\.shard\.yaml · 4 × H100-80GB/);
    await page.close();
  });

  it('clicking a GPU bar posts a reveal message for that GPU and placement', async () => {
    const page = await h.open();
    await showBalance(page);
    const bars = await barsOf(page, 'time-chart');
    const target = bars.find((b) => b.side === 'proposed' && b.gpu === 2)!;
    const box = (await page.locator('#time-chart').boundingBox())!;
    await page.mouse.click(box.x + target.x, box.y + target.y);
    await page.waitForFunction(() => (window as unknown as Win).__posted.some((m) => m.type === 'reveal'));
    assert.deepEqual(
      (await posted(page)).filter((m) => m.type === 'reveal'),
      [{ type: 'reveal', side: 'proposed', gpu: 2 }],
    );
    // The table's Reveal button posts the same message (keyboard and screen-reader path).
    await page.click('#toggle-table');
    await page.click('#balance-table tr[data-side="current"][data-gpu="3"] button.reveal');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'reveal').at(-1), { type: 'reveal', side: 'current', gpu: 3 });
    await page.close();
  });

  it('ignores invalid messages and keeps what it shows', async () => {
    const page = await h.open();
    await showBalance(page);
    const broken = sampleBalance() as unknown as { current: { gpus: Array<Record<string, unknown>> } };
    broken.current.gpus[0].fwdMs = 'lots';
    await postToWebview(page, { type: 'balance', fileName: 'x.shard.yaml', result: broken });
    await postToWebview(page, { type: 'evil', html: '<img src=x onerror=alert(1)>' });
    await postToWebview(page, { type: 'problem', message: 'sentinel' });
    await page.waitForFunction(() => document.getElementById('balance-status')?.textContent === 'sentinel');
    const warnings = await page.evaluate(() => (window as unknown as Win).__warnings);
    assert.equal(warnings.filter((w) => /invalid message/.test(w)).length, 2);
    assert.equal(await page.textContent('#balance-table tr[data-side="current"][data-gpu="0"] td[data-col="fwd"]'), '4.000');
    assert.match((await page.textContent('#balance-subtitle')) ?? '', /^criteo\.shard\.yaml/);
    await page.close();
  });

  it("the CSP blocks a script without the nonce and allows the page's own", async () => {
    const page = await h.open();
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${NONCE}'; style-src ${h.origin}; img-src ${h.origin} data:`);
    await page.evaluate((nonce) => {
      const w = window as unknown as Record<string, unknown>;
      const bad = document.createElement('script');
      bad.textContent = 'window.__inlineRan = true;';
      document.body.append(bad);
      const good = document.createElement('script');
      good.setAttribute('nonce', nonce);
      good.textContent = 'window.__nonceRan = true;';
      document.body.append(good);
      w.__checked = true;
    }, NONCE);
    await page.waitForFunction(() => (window as unknown as Win).__violations.length > 0);
    const result = await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      return { inline: w.__inlineRan === true, nonce: w.__nonceRan === true, violations: w.__violations };
    });
    assert.equal(result.inline, false, 'inline script without the nonce must not run');
    assert.equal(result.nonce, true, 'script with the nonce runs (the check above is not vacuous)');
    assert.deepEqual(result.violations, ['script-src-elem']);
    await page.close();
  });

  it('rendering a balance causes no CSP violation (chart.js needs no eval or inline style)', async () => {
    const page = await h.open();
    await showBalance(page);
    await page.click('#toggle-table');
    assert.deepEqual(await page.evaluate(() => (window as unknown as Win).__violations), []);
    await page.close();
  });

  it('the table is visually hidden until toggled, and the choice is kept in the webview state', async () => {
    const page = await h.open();
    await showBalance(page);
    assert.equal(await page.getAttribute('#toggle-table', 'aria-pressed'), 'false');
    assert.ok(await page.$eval('#balance-table-section', (el) => el.classList.contains('visually-hidden')));
    await page.click('#toggle-table');
    assert.equal(await page.getAttribute('#toggle-table', 'aria-pressed'), 'true');
    assert.equal(await page.$eval('#balance-table-section', (el) => el.classList.contains('visually-hidden')), false);
    assert.ok((await page.locator('#balance-table').boundingBox())!.height > 100);
    const state = (await page.evaluate(() => (window as unknown as Win).__state)) as { showTable: boolean; result: { version: number } };
    assert.equal(state.showTable, true);
    assert.equal(state.result.version, 7);
    await page.close();
  });

  it('redraws from the saved state when the webview is recreated (no retainContextWhenHidden)', async () => {
    const first = await h.open();
    await showBalance(first);
    await first.click('#toggle-table');
    const saved = await first.evaluate(() => (window as unknown as Win).__state);
    await first.close();
    const page = await h.open(saved);
    // No message sent to this page: everything below comes from getState().
    assert.equal(await page.locator('#balance-table tr[data-gpu]').count(), 8);
    assert.equal(await page.getAttribute('#time-chart', 'data-gpu-count'), '4');
    assert.equal(await page.getAttribute('#toggle-table', 'aria-pressed'), 'true');
    assert.deepEqual(
      (await posted(page)).map((m) => m.type),
      ['ready'],
    );
    await page.close();
  });

  it('re-reads the --vscode-* colours when the theme changes', async () => {
    const page = await h.open();
    await page.evaluate(() => document.documentElement.style.setProperty('--vscode-charts-blue', '#00ff00'));
    await showBalance(page);
    const bar = (await barsOf(page, 'time-chart')).find((b) => b.side === 'current' && b.gpu === 0)!;
    // The forward segment sits at the bottom of the stack.
    assert.deepEqual(await pixelAt(page, 'time-chart', bar.x, bar.base - 3), [0, 255, 0, 255]);
    await page.evaluate(() => {
      document.documentElement.style.setProperty('--vscode-charts-blue', '#ff0000');
      document.body.classList.add('vscode-light');
    });
    await page.waitForFunction(
      ({ x, y }) => {
        const canvas = document.getElementById('time-chart') as HTMLCanvasElement;
        const s = canvas.width / canvas.clientWidth;
        const d = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(Math.round(x * s), Math.round(y * s), 1, 1).data;
        return d[0] === 255 && d[1] === 0;
      },
      { x: bar.x, y: bar.base - 3 },
    );
    assert.deepEqual(await pixelAt(page, 'time-chart', bar.x, bar.base - 3), [255, 0, 0, 255]);
    await page.close();
  });
});
