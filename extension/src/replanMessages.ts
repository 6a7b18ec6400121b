/**
 * What the Replan command tells the user, as pure functions of the server's
 * answer (tested in test/unit/extension). Numbers use the same formatting as
 * the code lenses and the CLI (server/src/engine/format.ts).
 */
import { formatChange, formatMs } from '../../server/src/engine/format';
import type { ReplanApplied } from '../../server/src/lsp/protocol';

export const STALE_MESSAGE = 'The file changed while planning; run Replan again.';

/** "Replan (best): step 12.3 ms → 9.10 ms (−26%)" or, without a written placement, "… step 9.10 ms". */
export function replanSummary(r: Pick<ReplanApplied, 'strategy' | 'beforeMaxMs' | 'afterMaxMs'>): string {
  const head = `Replan (${r.strategy}): step`;
  if (r.beforeMaxMs === undefined || !(r.beforeMaxMs > 0)) return `${head} ${formatMs(r.afterMaxMs)}`;
  return `${head} ${formatMs(r.beforeMaxMs)} \u2192 ${formatMs(r.afterMaxMs)} (${formatChange(r.beforeMaxMs, r.afterMaxMs)})`;
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
