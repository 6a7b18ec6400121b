/**
 * Che's approximation for an LRU cache under independent references (Che,
 * Tung, Wang, IEEE JSAC 20(7), 2002; docs/research/perf-models.md §4), over
 * rows grouped as (count_i rows, each drawn with probability p_i per draw).
 * One home for the occupancy U(τ) and the characteristic time τ that the L2
 * hit rate (indexStats.ts), a row block's hit rate (rowBlocks.ts) and the UVM
 * cache's misses (uvmCache.ts) all solve for.
 */

/** Expected distinct rows after τ draws, U(τ) = Σ count_i (1 − e^(−p_i·τ)), and its slope dU/dτ. */
export interface Occupancy {
  u: number;
  du: number;
}

export function occupancy(count: ArrayLike<number>, p: ArrayLike<number>, tau: number): Occupancy {
  let u = 0;
  let du = 0;
  for (let i = 0; i < p.length; i++) {
    const e = Math.exp(-p[i] * tau);
    u += count[i] * (1 - e);
    du += count[i] * p[i] * e;
  }
  return { u, du };
}

/**
 * The characteristic time τ (in draws) of a cache of `cacheRows` > 0 rows,
 * U(τ) = cacheRows, with the occupancy there (1 − du is Che's hit rate).
 * U is concave and increasing with U(τ) ≤ τ, so Newton from τ = C stays below
 * the root and converges monotonically (2–7 steps in practice).
 */
export function characteristicTime(count: ArrayLike<number>, p: ArrayLike<number>, cacheRows: number): Occupancy & { tau: number } {
  let tau = cacheRows;
  let cur = occupancy(count, p, tau);
  for (let it = 0; it < 100 && cur.u < cacheRows * (1 - 1e-9); it++) {
    if (!(cur.du > 0)) break;
    tau += (cacheRows - cur.u) / cur.du;
    cur = occupancy(count, p, tau);
  }
  return { tau, ...cur };
}
