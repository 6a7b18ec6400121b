/**
 * proposeMoves: what "Replan (≤ N moves)" would write. The best plan that
 * moves at most N tables from the written placement (plan/moveBudget.ts),
 * toward the full plan Replan proposes (passed in when the caller has it, so
 * the editor plans once), and the edit that replaces only `placement:`.
 */
import { planWithMoveBudget, type MoveBudgetResult } from '../plan/moveBudget';
import type { PlanResult } from '../plan/types';
import type { Analysis } from './analyze';
import { combinedUncertainty, formatGain, formatMs } from './format';
import { DEFAULT_STRATEGY, NotPlannableError, plannable, proposalOf, type Proposal, type ProposeOptions } from './propose';

export interface ProposeMovesOptions extends ProposeOptions {
  maxMoves: number;
  /** Replan's plan for the same analysis, when already computed: the plan to move toward. */
  target?: PlanResult;
}

export interface MovesProposal extends Proposal {
  budget: MoveBudgetResult;
}

/** Whether the document has a written placement to count moves from. */
export function hasWrittenPlacement(analysis: Analysis): boolean {
  const p = analysis.loaded.config?.placement;
  return !!p && p.size > 0;
}

export async function proposeMoves(analysis: Analysis, options: ProposeMovesOptions): Promise<MovesProposal> {
  const { config, model } = plannable(analysis);
  if (!hasWrittenPlacement(analysis)) {
    throw new NotPlannableError('There is no written placement to move tables from: write one first (Replan, or `shardlens plan FILE --write`).');
  }
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  const budget = await planWithMoveBudget(config, model, {
    maxMoves: options.maxMoves,
    target: options.target,
    strategy,
    seed: options.seed,
    signal: options.signal,
    timeBudgetMs: options.timeBudgetMs,
  });
  return { ...proposalOf(analysis, strategy, budget.plan), budget };
}

function movesWord(n: number): string {
  return `${n} move${n === 1 ? '' : 's'}`;
}

/**
 * Title of the move-budget lens, e.g. "Replan ≤ 10 moves — step 41.2 ms →
 * 35.0 ms (−15%, ±1.20 ms, 7 moves)"; the gain reads "within model error"
 * when the model cannot tell the two apart (as the Replan lens).
 */
export function movesTitle(p: Pick<MovesProposal, 'plan' | 'beforeMaxMs' | 'beforeMaxUncertaintyMs' | 'budget'>): string {
  const b = p.budget;
  const head = `Replan \u2264 ${movesWord(b.maxMoves)}`;
  if (b.tooFewMoves) return `${head} \u2014 too few: the written placement needs ${movesWord(b.requiredMoves)} to become feasible`;
  if (p.plan.gpus.length === 0) {
    const why = p.plan.reasons[0] ?? 'no plan found';
    return `${head} \u2014 cannot plan: ${why.length > 80 ? `${why.slice(0, 79)}\u2026` : why}`;
  }
  const used = b.moves.length;
  const infeasible = p.plan.feasible ? '' : ' \u2014 infeasible';
  if (p.beforeMaxMs === undefined) return `${head} \u2014 step ${formatMs(p.plan.maxMs)} (${movesWord(used)})${infeasible}`;
  if (used === 0) return `${head} \u2014 no move lowers the step (${formatMs(p.beforeMaxMs)})${infeasible}`;
  const gain = formatGain(p.beforeMaxMs, p.plan.maxMs, combinedUncertainty(p.beforeMaxUncertaintyMs, p.plan.maxUncertaintyMs));
  return `${head} \u2014 step ${formatMs(p.beforeMaxMs)} \u2192 ${formatMs(p.plan.maxMs)} (${gain ? `${gain}, ` : ''}${movesWord(used)})${infeasible}`;
}
