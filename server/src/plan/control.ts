/**
 * Cancellation and time budget for planners. Planning is synchronous CPU work,
 * so a planner calls `tick()` between iterations: it throws an AbortError when
 * the caller's signal fired, and yields to the event loop every ~20 ms so the
 * language server can receive the cancel request at all.
 *
 * The budget is soft but kept: optional phases (more grid scales, the layout
 * search, local search, extra starts) stop once it is spent, and passes that
 * must finish for a plan to exist (placing every shard) finish the cheap way
 * (plan/quickFill.ts). `outOfTime(phase)` remembers the first phase it cut,
 * and `budgetNote()` says so on the plan.
 */

/** The error planners reject with when their signal fires (name 'AbortError', like fetch's). */
export class PlanAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('planning was cancelled');
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

// How long synchronous work may run before yielding to the event loop, ms.
const YIELD_EVERY_MS = 20;

/**
 * Share of the budget the optional phases may use: the rest is left for the
 * work after them (finishing a pass the cheap way, the exact rescore, the
 * step model's report), so the whole plan stays within ~10% of the budget.
 */
export const SEARCH_SHARE = 0.9;

export class PlanControl {
  private lastYield = performance.now();
  private readonly start = performance.now();
  /** When optional phases stop (SEARCH_SHARE of the budget, or earlier: `reserve`), and the budget's end. */
  private deadline: number;
  private readonly end: number;
  /** The budget, ms (undefined: none). */
  readonly budgetMs: number | undefined;
  /** ms into planning when the budget first cut something; the phase it cut. */
  private hitAtMs: number | undefined;
  private cutPhase: string | undefined;
  private readonly finishedCheap: string[] = [];
  /**
   * What preparing the cost model took per catalog shard, and preparing plus
   * first scoring (solo costs) together, ms (measured on the first
   * preparation): the layout search grows and re-prepares the catalog only
   * as far as the budget affords.
   */
  prepareMsPerShard = 0;
  newShardMs = 0;

  constructor(
    private readonly signal?: AbortSignal,
    timeBudgetMs?: number,
  ) {
    const set = timeBudgetMs !== undefined && Number.isFinite(timeBudgetMs) && timeBudgetMs > 0;
    this.budgetMs = set ? timeBudgetMs : undefined;
    this.deadline = set ? this.start + SEARCH_SHARE * timeBudgetMs : Infinity;
    this.end = set ? this.start + timeBudgetMs : Infinity;
  }

  /** Throws PlanAbortedError if cancelled; yields to the event loop when due. */
  async tick(): Promise<void> {
    this.check();
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
      this.check();
    }
  }

  check(): void {
    if (this.signal?.aborted) throw new PlanAbortedError();
  }

  /**
   * True once the time budget is spent: optional phases stop early and keep
   * what they have. `phase` (e.g. 'local search') names what stopped, for the
   * plan's note; the first one named is kept.
   */
  outOfTime(phase?: string): boolean {
    const now = performance.now();
    if (now < this.deadline) return false;
    this.hitAtMs ??= now - this.start;
    if (phase !== undefined) this.cutPhase ??= phase;
    return true;
  }

  /**
   * Whether an optional phase expected to take `ms` would run past the
   * budget; if so it is skipped and named in the note like `outOfTime`.
   */
  cannotAfford(ms: number, phase: string): boolean {
    if (this.remainingMs() >= ms) return false;
    this.hitAtMs ??= this.elapsedMs();
    this.cutPhase ??= phase;
    return true;
  }

  /**
   * Keeps `ms` at the end of the budget for the work after the optional
   * phases (the final rescore and report), when that is more than
   * SEARCH_SHARE leaves: at 100,000 tables the report alone takes seconds.
   */
  reserve(ms: number): void {
    if (Number.isFinite(ms) && ms > 0) this.deadline = Math.min(this.deadline, this.end - ms);
  }

  /** ms left before optional phases must stop (Infinity without a budget; ≤ 0 once out of time). */
  remainingMs(): number {
    return this.deadline - performance.now();
  }

  /** ms since planning started. */
  elapsedMs(): number {
    return performance.now() - this.start;
  }

  /** A pass that had to finish did so the cheap way after the budget ran out (e.g. '12,345 of 99,862 shards placed by least-loaded fill'). */
  finishedCheaply(what: string): void {
    this.hitAtMs ??= this.elapsedMs();
    this.finishedCheap.push(what);
  }

  /** Whether the budget cut anything short. */
  get budgetHit(): boolean {
    return this.hitAtMs !== undefined;
  }

  /**
   * The plan's note when the budget cut something: when, where, what was
   * finished the cheap way, and that the plan is the best found by then.
   * Undefined when the budget never bit.
   */
  budgetNote(): string | undefined {
    if (this.hitAtMs === undefined || this.budgetMs === undefined) return undefined;
    const s = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    const where = this.cutPhase ? ` in ${this.cutPhase}` : '';
    const cheap = this.finishedCheap.length > 0 ? `; ${this.finishedCheap.join('; ')}` : '';
    const over = this.elapsedMs() > this.end;
    return `stopped at the time budget after ${s(this.hitAtMs)}${where} (budget ${s(this.budgetMs)}${over ? `; set-up and the final report took ${s(this.elapsedMs())} in all` : ''})${cheap}: this is the best plan found by then; a larger budget may find a better one`;
  }
}
