// (f) "ShardLens: Replan (≤ N Moves)" from the command palette, N from the workspace setting
// shardlens.replan.maxMoves: the lens next to Replan reads "Replan ≤ N moves — step A ms → B ms
// (…, K moves)", and once the edit is saved the file on disk differs from before in at most N
// placement entries (the K the lens promised), exactly the tables `shardlens plan --max-moves N`
// moves; nothing outside placement: changes, and the lens then starts from the new step.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codeLensTexts, openFile, runCommand } from '../lib/workbench.mjs';
import { savedPlacementChange } from '../lib/savedPlacement.mjs';
import { changedEntries, movesLens, placementEntries, splitPlacement } from '../lib/placement.mjs';
import { fatal, waitFor } from '../lib/poll.mjs';

/** The budget the scenario sets: fewer than the full plan's moves on the Criteo example (5), so it binds. */
export const MAX_MOVES = 2;
/** A copy of the lens example that the earlier scenarios leave as written (Replan rewrites the original). */
export const MOVES_FILE = 'criteo-26-moves.shard.yaml';

/**
 * Before the workbench opens: the copy of `source` and the folder setting with the budget.
 * @param {string} ws @param {string} source
 */
export function prepareMovesWorkspace(ws, source) {
  copyFileSync(path.join(ws, source), path.join(ws, MOVES_FILE));
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  writeFileSync(path.join(ws, '.vscode', 'settings.json'), `${JSON.stringify({ 'shardlens.replan.maxMoves': MAX_MOVES }, null, 2)}\n`);
}

/** Displayed lens numbers are rounded: equal within 1% or one unit of the last shown digit. */
function sameShown(a, b) {
  return Math.abs(a - b) <= Math.max(0.01 * Math.max(a, b), 0.011);
}

/** @param {import('../run.mjs').ScenarioContext} ctx */
export async function replanMoves({ page, ws, report, cli }) {
  const file = MOVES_FILE;
  const disk = () => readFileSync(path.join(ws, file), 'utf8');
  const original = disk();
  const oracle = cli(['plan', path.join(ws, file), '--max-moves', String(MAX_MOVES)]);
  const oracleMoves = (oracle.move_budget?.moves ?? []).map((m) => m.table).sort();
  await report.check(`\`shardlens plan --max-moves ${MAX_MOVES}\` moves 1 to ${MAX_MOVES} tables (the oracle)`, async () => {
    if (!(oracleMoves.length >= 1 && oracleMoves.length <= MAX_MOVES)) throw new Error(JSON.stringify(oracle.move_budget ?? oracle).slice(0, 400));
  });
  if (!(await report.check(`open ${file}`, () => openFile(page, file)))) return;
  const lens = await report.check(`the lens next to Replan reads "Replan ≤ ${MAX_MOVES} moves — step … → … (…, K moves)"`, () =>
    waitFor(
      'the move-budget lens',
      async () => {
        const t = await codeLensTexts(page);
        const cannot = t.find((x) => /Replan ≤ \d+ moves? — (cannot plan|too few)/.test(x));
        if (cannot) throw fatal(`the lens says: ${cannot}`);
        const l = movesLens(t);
        return l && l.maxMoves === MAX_MOVES ? l : undefined;
      },
      { timeoutMs: 90_000 },
    ),
  );
  if (lens) {
    await report.check(`the lens promises what the CLI plans: ${oracleMoves.length} moves, step ${oracle.max_ms?.toFixed?.(3)} ms`, async () => {
      if (lens.moves !== oracleMoves.length) throw new Error(`lens ${lens.moves} moves, CLI ${oracleMoves.length}`);
      if (!sameShown(lens.after, oracle.max_ms)) throw new Error(`lens ${lens.after} ms, CLI ${oracle.max_ms} ms`);
    });
  }
  await report.shot(page, '6-moves-lens');
  const ran = await report.check(`run "ShardLens: Replan (≤ N Moves)" from the command palette`, () => runCommand(page, 'ShardLens: Replan (≤ N Moves)'));
  if (!ran) return;
  const after = await report.check('the placement: section on disk changes (after saving)', () => savedPlacementChange(page, path.join(ws, file), original));
  if (!after) return;
  const changed = changedEntries(placementEntries(original), placementEntries(after));
  await report.check(`at most ${MAX_MOVES} placement entries changed on disk`, async () => {
    if (changed.length < 1 || changed.length > MAX_MOVES) throw new Error(`${changed.length} entries changed: ${changed.join(', ')}`);
    if (placementEntries(after).size !== placementEntries(original).size) throw new Error('the number of entries changed');
  });
  await report.check('the changed entries are the tables `shardlens plan --max-moves` moves, and the lens counted them', async () => {
    if (changed.join() !== oracleMoves.join()) throw new Error(`disk: ${changed.join(', ')}; CLI: ${oracleMoves.join(', ')}`);
    if (lens && lens.moves !== changed.length) throw new Error(`the lens said ${lens.moves} moves, ${changed.length} changed`);
  });
  await report.check('everything outside placement: is unchanged', async () => {
    if (splitPlacement(after).rest !== splitPlacement(original).rest) throw new Error('text outside placement: changed');
  });
  if (lens) {
    await report.check('the move-budget lens now starts from the new step', () =>
      waitFor(
        'the lens to start from the planned step',
        async () => {
          const t = await codeLensTexts(page);
          const l = movesLens(t);
          if (l && sameShown(l.before, lens.after)) return l;
          // The written placement may now be as good as N moves get.
          const none = t.find((x) => new RegExp(`Replan ≤ ${MAX_MOVES} moves — no move lowers the step \\(([\\d.,]+) ms\\)`).test(x));
          const m = none && none.match(/\(([\d.,]+) ms\)/);
          return m && sameShown(Number(m[1].replace(/,/g, '')), lens.after) ? none : undefined;
        },
        { timeoutMs: 60_000 },
      ),
    );
  }
  await report.shot(page, '6-moves-applied');
}
