/**
 * Placing one shard: among the GPUs that can host it (memory, pin, no sibling
 * shard) and, optionally, stay under a per-GPU output-bytes cap, take the `k`
 * least-loaded ones, rank them by an estimate that costs no model call (the
 * GPU's fusion factor × the shard's solo cost, plus exact comm), and ask the
 * model only for the best `exact` of them. Learned cost models cost tens of µs
 * per call, so calls, not arithmetic, bound planning time.
 */
import type { ComputeCost } from '../cost/types';
import type { PlanState } from './state';

/** How many least-loaded GPUs a placement considers. */
export const DEFAULT_CANDIDATES = 8;
/** How many of them are scored by the cost model. */
export const EXACT_CANDIDATES = 3;

export interface Choice {
  gpu: number;
  /** Compute cost of `gpu` with the shard added, when the model was asked (pass to `place`). */
  cost?: ComputeCost;
}

const cand: number[] = [];
const est: number[] = [];
const NONE: Choice = { gpu: -1 };

/**
 * Best GPU for shard s (gpu -1 if none can host it). `outCap` limits the GPU's
 * pooled output bytes per bag after adding s (NeuroShard's dim-balance
 * constraint); it is ignored when no GPU satisfies it.
 */
export function bestGpuFor(state: PlanState, s: number, k = DEFAULT_CANDIDATES, outCap = Infinity, exact = EXACT_CANDIDATES): Choice {
  const c = pick(state, s, k, outCap, exact);
  return c.gpu >= 0 || outCap === Infinity ? c : pick(state, s, k, Infinity, exact);
}

function pick(state: PlanState, s: number, k: number, outCap: number, exact: number): Choice {
  const { total, out, rowb, mem, n } = state;
  const load = state.cat.out[s] + state.cat.rowb[s];
  cand.length = 0;
  for (let g = 0; g < n; g++) {
    if (!state.canHost(g, s)) continue;
    if (out[g] + rowb[g] + load > outCap) continue;
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
    // Rank by the call-free estimate; keep the best `exact` (stable: ties keep load order).
    est.length = 0;
    for (const g of cand) est.push(state.estimateSwap(g, -1, s) + state.commWith(g, s));
    const order = cand.map((_, i) => i).sort((a, b) => est[a] - est[b] || a - b);
    const keep = order.slice(0, exact).map((i) => cand[i]);
    cand.length = 0;
    cand.push(...keep);
  }
  let best = -1;
  let bestCost = Infinity;
  let bestCompute: ComputeCost | undefined;
  for (const g of cand) {
    const c = state.computeWith(g, s);
    const t = c.fwdMs + c.bwdMs + state.commWith(g, s);
    if (t < bestCost - 1e-12) { bestCost = t; best = g; bestCompute = c; }
  }
  return { gpu: best, cost: bestCompute };
}
