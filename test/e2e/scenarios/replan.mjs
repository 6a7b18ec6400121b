// (c) "ShardLens: Replan" from the command palette: the saved file's placement: section
// changes, nothing else does, and the top lens now starts from the new max.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { codeLensTexts, runCommand } from '../lib/workbench.mjs';
import { savedPlacementChange } from '../lib/savedPlacement.mjs';
import { replanLens, splitPlacement } from '../lib/placement.mjs';
import { waitFor } from '../lib/poll.mjs';

/** Displayed lens numbers are rounded: equal within 1% or one unit of the last shown digit. */
function sameShown(a, b) {
  return Math.abs(a - b) <= Math.max(0.01 * Math.max(a, b), 0.011);
}

/** @param {import('../run.mjs').ScenarioContext} ctx @param {string} file */
export async function replan({ page, ws, report }, file) {
  const disk = () => readFileSync(path.join(ws, file), 'utf8');
  const text = disk();
  const before = splitPlacement(text);
  const lensBefore = replanLens(await codeLensTexts(page));
  const ran = await report.check('run "ShardLens: Replan" from the command palette', () => runCommand(page, 'ShardLens: Replan'));
  if (!ran) return;
  const saved = await report.check('the placement: section on disk changes (after saving)', () => savedPlacementChange(page, path.join(ws, file), text));
  const after = saved && splitPlacement(saved);
  if (after) {
    await report.check('everything outside placement: is unchanged', async () => {
      if (after.rest !== before.rest) throw new Error(`outside placement changed:\n--- before\n${before.rest}\n--- after\n${after.rest}`);
    });
  }
  await report.check('the top lens shows the new step', () =>
    !lensBefore
      ? Promise.reject(new Error('there was no Replan lens before'))
      : waitFor(
          'the Replan lens to start from the planned step',
          async () => {
            const l = replanLens(await codeLensTexts(page));
            return l && lensBefore && sameShown(l.before, lensBefore.after) ? l : undefined;
          },
          { timeoutMs: 60_000 },
        ).then((l) => {
          if (!(l.before <= lensBefore.before * 1.0001)) throw new Error(`new step ${l.before} > old step ${lensBefore.before}`);
        }),
  );
  await report.shot(page, '3-replan');
}
