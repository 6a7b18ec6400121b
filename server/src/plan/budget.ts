/**
 * Default soft time limits for planning, ms: one place for the CLI and the
 * editor. The budget covers the whole plan, set-up included; optional phases
 * (more grid scales, the layout search, local search, extra starts) stop at
 * it, and passes that must finish do so the cheap way (leastLoaded.ts), so a
 * plan comes back within ~10% of it with a note saying what was cut
 * (control.ts). Set-up itself (layouts, the cost model's first pricing of
 * every shard) cannot be skipped: about 10 s at 100,000 tables on 4,096 GPUs
 * on one core (`npm run bench:plan -- --huge`), the floor of any budget there.
 * Sweeps plan each cluster under their own, shorter limit
 * (engine/sweep.ts DEFAULT_SWEEP_PLAN_BUDGET_MS).
 */

/** `shardlens plan`, `measure`, and each strategy of `plan --compare`: a CI job's patience, not an editor's. */
export const DEFAULT_PLAN_BUDGET_MS = 30_000;

/** The editor's Replan and the lens's preview plan: interactive. */
export const REPLAN_BUDGET_MS = 10_000;

/**
 * The budget of one plan from the CLI's `--budget`: its value, none when it
 * was `--budget 0` (`off`), else `fallback`.
 */
export function planBudgetMs(budgetMs: number | undefined, off: boolean | undefined, fallback = DEFAULT_PLAN_BUDGET_MS): number | undefined {
  return off ? undefined : (budgetMs ?? fallback);
}
