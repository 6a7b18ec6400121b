/**
 * A cost model's measured error by predicted size, the source of every ±
 * ShardLens shows. `rel[i]` is the relative ± within which `quantile` of the
 * held-out sets fell — exp(quantile of |ln(predicted / measured)|) − 1 — for
 * sets predicted below bins_ms[i] (the last entry: at or above the last bin).
 * Learned models carry theirs in the sidecar (export.py); the analytic models
 * carry constants measured the same way (analytic.ts ANALYTIC_ERROR).
 */
export interface ErrorBands {
  quantile: number;
  bins_ms: number[];
  rel: number[];
  /** Held-out sets per band. */
  n?: number[];
  /** Where the numbers come from, in words. */
  source?: string;
}

/** The relative ± of a prediction of `totalMs` (fwd + bwd). */
export function bandOf(bands: ErrorBands, totalMs: number): number {
  let i = 0;
  while (i < bands.bins_ms.length && totalMs >= bands.bins_ms[i]) i++;
  return bands.rel[Math.min(i, bands.rel.length - 1)];
}

function isNums(v: unknown, len?: number): v is number[] {
  return Array.isArray(v) && (len === undefined || v.length === len) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** What is wrong with a JSON `uncertainty` object, or undefined when it is usable. */
export function checkBands(u: unknown): string | undefined {
  const b = u as Partial<ErrorBands> | null;
  if (!b || typeof b !== 'object') return 'uncertainty must be an object';
  if (!isNums(b.bins_ms) || !isNums(b.rel, b.bins_ms.length + 1) || b.rel.some((x) => x < 0)) {
    return 'uncertainty needs bins_ms (ms, ascending) and one non-negative rel more than bins';
  }
  if (b.bins_ms.some((x, i) => i > 0 && x <= b.bins_ms![i - 1])) return 'uncertainty.bins_ms must ascend';
  return undefined;
}

/**
 * FBGEMM TBE model (fbgemm.ts), provisional: no FBGEMM measurement is held out
 * in this repository yet, so its ± is the target for it — median error
 * ≤ 25% on held-out published figures — widened to a 68% band (×1.5 for a
 * roughly normal log error: q68 ≈ 1.5 × median of |error|). To be replaced by
 * the measured bands once the published-figure fit reports them.
 */
export const FBGEMM_PROVISIONAL_ERROR: ErrorBands = {
  quantile: 0.68,
  bins_ms: [],
  rel: [0.375],
  source: 'provisional: 1.5 × the 25% median-error target of the FBGEMM model on published figures',
};
