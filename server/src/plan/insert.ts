/**
 * Placing one free shard: among the GPUs that can host it (memory, pin, no
 * sibling shard, table_column host) and, optionally, stay under a per-GPU
 * pooled-bytes cap, take the `k` least busy ones, rank them by the step they
 * would give with a call-free compute estimate (the GPU's fusion factor × the
 * shard's solo cost) and exact communication, and ask the model only for the
 * best `exact` of them. Learned cost models cost tens of µs per call, so
 * calls, not arithmetic, bound planning time.
 */
import type { ComputeCost } from '../cost/types';
import type { PlanState } from './state';

/** How many least busy GPUs a placement considers. */
export const DEFAULT_CANDIDATES = 8;
/** How many of them are scored by the cost model. */
export const EXACT_CANDIDATES = 3;

const cand: number[] = [];
const est: number[] = [];
const sec: number[] = [];

export interface Choice {
  /** -1 when no GPU can host the shard. */
  gpu: number;
  /** The compute of that GPU's free shards with s added, when the model was asked (for placeFast). */
  free?: ComputeCost;
}
const NONE: Choice = { gpu: -1 };

/**
 * Best GPU for free shard s (-1 if none can host it): lowest step, then
 * lowest new total on that GPU. `outCap` limits the GPU's pooled bytes per
 * bag after adding s (NeuroShard's dim-balance constraint); it is ignored
 * when no GPU satisfies it.
 */
export function bestGpuFor(state: PlanState, s: number, k = 8, outCap = Infinity, exact = EXACT_CANDIDATES): Choice {
  const c = pick(state, s, k, outCap, exact);
  return c.gpu >= 0 || outCap === Infinity ? c : pick(state, s, k, Infinity, exact);
}

function pick(state: PlanState, s: number, k: number, outCap: number, exact: number): Choice {
  const { total, mem, n } = state;
  const pooled = state.oracle.pooled;
  const load = state.cat.pooled[s];
  cand.length = 0;
  for (let g = 0; g < n; g++) {
    if (!state.canHost(g, s)) continue;
    if (pooled[g] + load > outCap) continue;
    // Keep `cand` sorted by (total, memory) ascending, at most k entries.
    if (cand.length === k) {
      const last = cand[k - 1];
      if (total[g] > total[last] || (total[g] === total[last] && mem[g] >= mem[last])) continue;
      cand.pop();
    }
    let i = cand.length;
    while (i > 0 && (total[cand[i - 1]] > total[g] || (total[cand[i - 1]] === total[g] && mem[cand[i - 1]] > mem[g]))) i--;
    cand.splice(i, 0, g);
  }
  if (cand.length === 0) return NONE;
  if (cand.length > exact) {
    est.length = 0;
    sec.length = 0;
    for (const g of cand) {
      est.push(state.insertStep(g, s));
      sec.push(state.whatSq);
    }
    const order = cand.map((_, i) => i).sort((a, b) => est[a] - est[b] || sec[a] - sec[b] || a - b);
    const keep = order.slice(0, exact).map((i) => cand[i]);
    cand.length = 0;
    cand.push(...keep);
  }
  let best = -1;
  let bestStep = Infinity;
  let bestSec = Infinity;
  let bestFree: ComputeCost | undefined;
  for (const g of cand) {
    const free = state.freeWith(g, s);
    const v = state.insertStep(g, s, state.withFixed(g, free));
    const w = state.whatSq;
    const tol = 1e-9 * Math.max(1, Math.abs(v));
    if (v < bestStep - tol || (v <= bestStep + tol && w < bestSec)) {
      bestStep = v;
      bestSec = w;
      best = g;
      bestFree = free;
    }
  }
  return { gpu: best, free: bestFree };
}
