/**
 * The balance panel's moves section in headless Chromium (webviewPage.ts
 * harness): shown only with a move budget, one row per moved table biggest
 * gain first (text and raw gain), and "Apply these moves" posts replanMoves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sampleBalance, withMoveBudget } from '../../unit/webview/fixtures';
import { postToWebview, startHarness, type Harness } from './webviewPage';

type Win = { __posted: Array<Record<string, unknown>>; __violations: string[] };

async function show(page: Page, result: ReturnType<typeof sampleBalance>): Promise<void> {
  await postToWebview(page, { type: 'balance', fileName: 'criteo.shard.yaml', result });
  await page.waitForSelector('#balance-table tr[data-gpu]', { state: 'attached' });
}

describe('balance webview: the moves section in Chromium', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('lists the moves, biggest gain first, and applies them with one click', async () => {
    const page = await h.open();
    await show(page, withMoveBudget(sampleBalance()));
    assert.equal(await page.isVisible('#moves-section'), true);
    assert.equal(await page.getAttribute('#moves-section', 'data-moves'), '3');
    assert.equal(await page.textContent('#moves-title'), 'Replan (\u2264 3 moves)');
    const rows = await page.$$eval('#moves-table tbody tr', (trs) =>
      trs.map((tr) => ({
        table: tr.getAttribute('data-table'),
        from: tr.querySelector('td[data-col="from"]')?.textContent,
        to: tr.querySelector('td[data-col="to"]')?.textContent,
        gain: tr.querySelector('td[data-col="gain"]')?.textContent,
        raw: tr.querySelector('td[data-col="gain"]')?.getAttribute('data-value'),
      })),
    );
    assert.deepEqual(rows, [
      { table: 'item_id', from: '0', to: '1', gain: '2.100', raw: '2.1' },
      { table: 'cat_3', from: '3', to: '2', gain: '0.400', raw: '0.4' },
      { table: 'huge', from: '3', to: '{column: [3, 1]}', gain: 'together', raw: '' },
    ]);
    assert.match((await page.textContent('#moves-summary')) ?? '', /with 3 moves\. The full plan: .* with 4 moves\./);
    assert.equal(await page.isEnabled('#apply-moves'), true);
    await page.click('#apply-moves');
    await page.waitForFunction(() => (window as unknown as Win).__posted.some((m) => m.type === 'replanMoves'));
    assert.deepEqual(await page.evaluate(() => (window as unknown as Win).__violations), []);
    await page.close();
  });

  it('is hidden without a move budget, and its button disabled when nothing is worth applying', async () => {
    const page = await h.open();
    await show(page, sampleBalance());
    assert.equal(await page.isVisible('#moves-section'), false);
    const few = withMoveBudget(sampleBalance());
    Object.assign(few.moveBudget!, { tooFewMoves: true, requiredMoves: 5, moves: [] });
    await postToWebview(page, { type: 'balance', fileName: 'criteo.shard.yaml', result: { ...few, version: 8 } });
    await page.waitForSelector('#moves-section:not([hidden])');
    assert.equal(await page.isEnabled('#apply-moves'), false);
    assert.match((await page.textContent('#moves-summary')) ?? '', /needs 5 moves just to become feasible/);
    assert.equal(await page.$$eval('#moves-table tbody tr', (trs) => trs.length), 0);
    await page.close();
  });
});
