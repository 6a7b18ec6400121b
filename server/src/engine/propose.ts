/**
 * proposePlan: what "Replan" would write. Plans with the strategy from settings
 * (default 'best'), starting from the written placement when there is one, and
 * returns the text edit that replaces only the `placement:` section.
 */
import type { Diagnostic, TextEdit } from '../config/diagnostics';
import { placementEdit } from '../config/placementText';
import type { ShardConfig } from '../config/types';
import type { CostModel } from '../cost/types';
import { planConfig } from '../plan/planner';
import type { PlanResult, Strategy } from '../plan/types';
import type { Analysis } from './analyze';
import { combinedUncertainty, formatGain, formatMs } from './format';

export interface ProposeOptions {
  strategy?: Strategy;
  signal?: AbortSignal;
  seed?: number;
  timeBudgetMs?: number;
}

export interface Proposal {
  strategy: Strategy;
  plan: PlanResult;
  /** Max per-GPU ms of the written placement, when it is complete. */
  beforeMaxMs?: number;
  /** ± of beforeMaxMs (the written placement's step: its slowest GPUs' compute model error), ms. */
  beforeMaxUncertaintyMs?: number;
  /** Edit of the main file that writes `plan.placement`. */
  edit: { file: string; edit: TextEdit };
}

/** Thrown when there is nothing to plan: the message is for the user. */
export class NotPlannableError extends Error {}

export const DEFAULT_STRATEGY: Strategy = 'best';

/**
 * Errors about the written placement itself, which are exactly what a new plan
 * replaces: SL040–SL049 (unknown or missing tables, bad GPUs, over HBM), SL051
 * (a data-parallel replica larger than a GPU) and SL053 (a GPU over host memory).
 */
const PLACEMENT_CODES = /^SL04\d$|^SL051$|^SL053$/;

/** Errors that stop planning: every error except those about the written placement. */
export function blockingErrors(analysis: Analysis): Diagnostic[] {
  return analysis.diagnostics.filter((d) => d.severity === 'error' && !PLACEMENT_CODES.test(d.code));
}

/** Whether the analysis can be planned: a config, a cost model, and no errors but the written placement's. */
export function canPlan(analysis: Analysis): boolean {
  return !!analysis.loaded.config && !!analysis.model && blockingErrors(analysis).length === 0;
}

/**
 * The config and model to plan with, or NotPlannableError saying what to fix
 * first: errors other than the written placement's, or no cost model.
 */
export function plannable(analysis: Analysis): { config: ShardConfig; model: CostModel } {
  const config = analysis.loaded.config;
  const blocking = blockingErrors(analysis);
  if (!config || blocking.length > 0) {
    const errors = Math.max(1, blocking.length);
    throw new NotPlannableError(`Fix the ${errors} error${errors === 1 ? '' : 's'} in ${analysis.file} before planning.`);
  }
  if (!analysis.model) throw new NotPlannableError('No cost model is available for this device, so no plan can be scored.');
  return { config, model: analysis.model };
}

/** A plan as a proposal: the written placement's step (and its ±) beside it, and the edit that writes it. */
export function proposalOf(analysis: Analysis, strategy: Strategy, plan: PlanResult): Proposal {
  const proposal: Proposal = { strategy, plan, beforeMaxMs: analysis.current?.maxMs, edit: placementEdit(analysis.loaded, plan.placement) };
  if (analysis.current?.maxUncertaintyMs !== undefined) proposal.beforeMaxUncertaintyMs = analysis.current.maxUncertaintyMs;
  return proposal;
}

export async function proposePlan(analysis: Analysis, options: ProposeOptions = {}): Promise<Proposal> {
  const { config, model } = plannable(analysis);
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  const plan = await planConfig(config, strategy, model, {
    seed: options.seed,
    signal: options.signal,
    start: config.placement && config.placement.size > 0 ? config.placement : undefined,
    timeBudgetMs: options.timeBudgetMs,
  });
  return proposalOf(analysis, strategy, plan);
}

/**
 * Title of the top code lens, e.g. "Replan — step 41.2 ms → 29.8 ms (−28%,
 * ±2.10 ms) [best]" (the step: its critical path). The gain is reported only
 * when it exceeds the combined model error of both steps; otherwise
 * "(within model error ±2.10 ms)".
 */
export function replanTitle(proposal: Pick<Proposal, 'strategy' | 'plan' | 'beforeMaxMs' | 'beforeMaxUncertaintyMs'>): string {
  const after = proposal.plan.maxMs;
  if (!proposal.plan.feasible && proposal.plan.gpus.length === 0) {
    const why = proposal.plan.reasons[0] ?? 'no plan found';
    return `Replan [${proposal.strategy}] \u2014 cannot plan: ${why.length > 80 ? `${why.slice(0, 79)}\u2026` : why}`;
  }
  const infeasible = proposal.plan.feasible ? '' : ' — infeasible';
  if (proposal.beforeMaxMs === undefined) {
    return `Plan placement — step ${formatMs(after)} [${proposal.strategy}]${infeasible}`;
  }
  const change = formatGain(proposal.beforeMaxMs, after, combinedUncertainty(proposal.beforeMaxUncertaintyMs, proposal.plan.maxUncertaintyMs));
  return `Replan — step ${formatMs(proposal.beforeMaxMs)} \u2192 ${formatMs(after)}${change ? ` (${change})` : ''} [${proposal.strategy}]${infeasible}`;
}
