/**
 * Cancellation and time budget for planners. Planning is synchronous CPU work,
 * so a planner calls `tick()` between iterations: it throws an AbortError when
 * the caller's signal fired, and yields to the event loop every ~20 ms so the
 * language server can receive the cancel request at all.
 */

/** The error planners reject with when their signal fires (name 'AbortError', like fetch's). */
export class PlanAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() { super('planning was cancelled'); }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

// How long synchronous work may run before yielding to the event loop, ms.
const YIELD_EVERY_MS = 20;

export class PlanControl {
  private lastYield = performance.now();
  private readonly deadline: number;

  constructor(private readonly signal?: AbortSignal, timeBudgetMs?: number) {
    this.deadline = timeBudgetMs !== undefined && Number.isFinite(timeBudgetMs) && timeBudgetMs > 0
      ? performance.now() + timeBudgetMs
      : Infinity;
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

  /** True once the time budget is spent: optional phases stop early and keep what they have. */
  outOfTime(): boolean {
    return performance.now() >= this.deadline;
  }
}
