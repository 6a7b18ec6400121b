// (b) A valid example: cost lenses on its tables ("≈ 0.12 ms (fwd … + bwd …) · 1.2 GiB · GPU 0";
// small tables show MiB/KiB) and the top Replan lens ("Replan — step A ms → B ms …").
import { codeLensTexts, openFile } from '../lib/workbench.mjs';
import { planFailureLens, replanLens } from '../lib/placement.mjs';
import { fatal, waitFor } from '../lib/poll.mjs';

/** @param {import('../run.mjs').ScenarioContext} ctx @param {string} file */
export async function lenses({ page, report }, file) {
  await report.check(`open ${file}`, () => openFile(page, file));
  const texts = await report.check('code lenses appear', () =>
    waitFor(
      'code lenses',
      async () => {
        const t = await codeLensTexts(page);
        return t.length > 1 ? t : undefined;
      },
      { timeoutMs: 60_000 },
    ),
  );
  if (!texts) return;
  await report.check('table lenses show ms and GiB', async () => {
    const t = await codeLensTexts(page);
    if (!t.some((x) => /\bms\b/.test(x) && /GiB/.test(x))) throw new Error(`lenses: ${t.join(' | ')}`);
  });
  await report.check('the top lens reads "Replan — step … → …"', () =>
    waitFor(
      'the Replan lens',
      async () => {
        const t = await codeLensTexts(page);
        const failed = planFailureLens(t);
        if (failed) throw fatal(`the top lens says: ${failed}`);
        return replanLens(t);
      },
      { timeoutMs: 30_000 },
    ),
  );
  await report.shot(page, '2-lenses');
}
