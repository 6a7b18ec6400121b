/**
 * What the Replan command tells the user, as pure functions of the server's
 * answer (tested in test/unit/extension). Numbers use the same formatting as
 * the code lenses and the CLI (server/src/engine/format.ts).
 */
import { combinedUncertainty, formatGain, formatMs, formatPlusMinus, type ReplanApplied } from '../../server/src/lsp/protocol';

export const STALE_MESSAGE = 'The file changed while planning; run Replan again.';

/**
 * "Replan (best): step 12.3 ms → 9.10 ms (−26%, ±1.20 ms)", "(within model
 * error ±1.20 ms)" when the change is no larger than both steps' errors
 * combined (as the top lens says it), or, without a written placement,
 * "… step 9.10 ms ±0.80 ms".
 */
export function replanSummary(r: Pick<ReplanApplied, 'strategy' | 'beforeMaxMs' | 'afterMaxMs' | 'beforeUncertaintyMs' | 'afterUncertaintyMs'>): string {
  const head = `Replan (${r.strategy}): step`;
  if (r.beforeMaxMs === undefined || !(r.beforeMaxMs > 0)) {
    return `${head} ${formatMs(r.afterMaxMs)}${r.afterUncertaintyMs !== undefined ? ` ${formatPlusMinus(r.afterUncertaintyMs)}` : ''}`;
  }
  const error = combinedUncertainty(r.beforeUncertaintyMs, r.afterUncertaintyMs);
  return `${head} ${formatMs(r.beforeMaxMs)} \u2192 ${formatMs(r.afterMaxMs)} (${formatGain(r.beforeMaxMs, r.afterMaxMs, error)})`;
}

/** Appended when the plan breaks a constraint; the edit is still offered (the user may relax it). */
export function infeasibleNote(r: Pick<ReplanApplied, 'feasible' | 'reasons'>): string | undefined {
  if (r.feasible) return undefined;
  const shown = r.reasons.slice(0, 3).join('; ');
  const more = r.reasons.length > 3 ? ` (+${r.reasons.length - 3} more)` : '';
  return `The plan does not meet every constraint: ${shown || 'see the Problems view'}${more}.`;
}

/** Appended when the planner says how the plan was made (the time budget cut it short): the notes, joined. */
export function planNotes(r: Pick<ReplanApplied, 'notes'>): string | undefined {
  const notes = r.notes ?? [];
  return notes.length > 0 ? `${notes.join('; ')}.` : undefined;
}

/**
 * A plan that places nothing (the planner gave up: no GPU time at all) is not
 * offered for applying: writing it would empty the placement section.
 */
export function planFailed(r: Pick<ReplanApplied, 'feasible' | 'afterMaxMs'>): boolean {
  return !r.feasible && !(r.afterMaxMs > 0);
}

/** True when the answer or the document says the plan is for an older text. */
export function isStale(result: { stale?: boolean } | undefined, sentVersion: number, versionNow: number): boolean {
  return !result || result.stale === true || sentVersion !== versionNow;
}

function movesWord(n: number): string {
  return `${n} move${n === 1 ? '' : 's'}`;
}

/**
 * What "Replan (≤ N moves)" tells the user before applying anything, when
 * there is nothing worth applying: too small a budget for feasibility, or no
 * move that lowers the step. Undefined: apply.
 */
export function movesNothingToApply(r: Pick<ReplanApplied, 'moveBudget' | 'strategy'>): string | undefined {
  const b = r.moveBudget;
  if (!b) return undefined;
  if (b.tooFewMoves)
    return `ShardLens: Replan (\u2264 ${movesWord(b.maxMoves)}) changed nothing: the written placement needs ${movesWord(b.requiredMoves)} just to become feasible. Raise shardlens.replan.maxMoves or run Replan.`;
  if (b.moves.length === 0)
    return `ShardLens: Replan (\u2264 ${movesWord(b.maxMoves)}): no move of at most ${b.maxMoves} table${b.maxMoves === 1 ? '' : 's'} lowers the step; the placement stays as written.`;
  return undefined;
}

/** "Replan ≤ 10 moves (best): step 42.2 ms → 28.8 ms (−32%), 10 moves". */
export function movesSummary(r: Pick<ReplanApplied, 'strategy' | 'beforeMaxMs' | 'afterMaxMs' | 'beforeUncertaintyMs' | 'afterUncertaintyMs' | 'moveBudget'>): string {
  const b = r.moveBudget;
  if (!b) return replanSummary(r);
  const base = replanSummary(r).replace(/^Replan \(/, `Replan \u2264 ${movesWord(b.maxMoves)} (`);
  return `${base}, ${movesWord(b.moves.length)}`;
}
