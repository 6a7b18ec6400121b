/**
 * Local search on the step's critical path (NeuroShard/TorchRec-style
 * refinement): repeatedly take the ranks that set a phase's maximum (input
 * dist, forward, output dist, backward) and apply the best move of one of
 * their free shards to a lightly loaded GPU, or failing that the best swap
 * with one, that lowers the step (or keeps it and lowers Σ total², which
 * walks plateaus where two ranks share a maximum). Candidates are ranked by
 * call-free estimates (fusion factor × solo cost, exact communication); only
 * the best few are scored by the model, and the chosen one is checked on the
 * exact state and undone if it did not help. Every accepted step strictly
 * lowers (step, Σ total²), so it terminates; memory, pins and the
 * one-shard-of-a-table-per-GPU rule hold throughout.
 */
import type { PlanControl } from './control';
import type { PlanState } from './state';

export interface LocalSearchOptions {
  /** Least-loaded GPUs tried as destinations per step. */
  targets?: number;
  /** Cap on accepted steps (default 4 × GPUs + 200). */
  maxSteps?: number;
  /** Predicted cost of each shard alone (orders swap candidates). */
  solo: ArrayLike<number>;
  /** Candidates per step scored by the model (default 8). */
  exact?: number;
}

// Swap search breadth per step: heaviest shards of a critical rank × destination
// GPUs × lighter shards there (all estimated without model calls).
const SWAP_FROM = 8;
const SWAP_GPUS = 4;
const SWAP_TO = 8;

interface Cand {
  s: number;
  b: number;
  t: number;
  est: number;
  sq: number;
}

const targets: number[] = [];
const fromList: number[] = [];
const toList: number[] = [];
const cands: Cand[] = [];

/** (step, sq) strictly better than (cur, curSq)? */
export function improves(step: number, sq: number, cur: number, curSq: number): boolean {
  const tol = 1e-9 * Math.max(1, Math.abs(cur));
  if (step < cur - tol) return true;
  return step <= cur + tol && sq < curSq - 1e-9 * Math.max(1, Math.abs(curSq));
}

function leastLoaded(state: PlanState, exclude: readonly number[], k: number): number[] {
  targets.length = 0;
  const { total, n } = state;
  for (let g = 0; g < n; g++) {
    if (exclude.includes(g)) continue;
    if (targets.length === k) {
      if (total[g] >= total[targets[k - 1]]) continue;
      targets.pop();
    }
    let i = targets.length;
    while (i > 0 && total[targets[i - 1]] > total[g]) i--;
    targets.splice(i, 0, g);
  }
  return targets;
}

function movable(state: PlanState, s: number): boolean {
  return state.cat.tables[state.cat.tableOf[s]].pin === undefined;
}

function heaviest(list: number[], from: readonly number[], solo: ArrayLike<number>, k: number, below = Infinity, state?: PlanState): number[] {
  list.length = 0;
  for (const s of from) if (solo[s] < below && (!state || movable(state, s))) list.push(s);
  list.sort((a, b) => solo[b] - solo[a] || a - b);
  if (list.length > k) list.length = k;
  return list;
}

function apply(state: PlanState, c: Cand): void {
  if (c.t >= 0) state.swap(c.s, c.t);
  else state.move(c.s, c.b);
}

function undo(state: PlanState, c: Cand, from: number): void {
  if (c.t >= 0) state.swap(c.s, c.t);
  else state.move(c.s, from);
}

/**
 * Scores the best `exact` candidates by estimate with the model; applies the
 * best real improvement and keeps it if the exact state agrees. True when a
 * step was taken.
 */
function tryBest(state: PlanState, exact: number): boolean {
  cands.sort((x, y) => x.est - y.est || x.sq - y.sq || x.s - y.s || x.b - y.b || x.t - y.t);
  const cur = state.step();
  const curSq = state.spread();
  const scored: Cand[] = [];
  const m = Math.min(exact, cands.length);
  for (let i = 0; i < m; i++) {
    const c = cands[i];
    const v = state.exchangeStep(c.s, c.b, c.t, true);
    if (improves(v, state.whatSq, cur, curSq)) scored.push({ ...c, est: v, sq: state.whatSq });
  }
  scored.sort((x, y) => x.est - y.est || x.sq - y.sq);
  for (const c of scored) {
    const from = state.gpuOf[c.s];
    apply(state, c);
    if (improves(state.step(), state.spread(), cur, curSq)) return true;
    undo(state, c, from);
  }
  return false;
}

/** Improves `state` in place; returns the number of accepted steps. */
export async function localSearch(state: PlanState, ctl: PlanControl, opts: LocalSearchOptions): Promise<number> {
  const cat = state.cat;
  const k = Math.max(1, opts.targets ?? 8);
  const exact = Math.max(1, opts.exact ?? 8);
  const maxSteps = opts.maxSteps ?? 4 * state.n + 200;
  const solo = opts.solo;
  let steps = 0;
  while (steps < maxSteps && state.n > 1) {
    await ctl.tick();
    if (ctl.outOfTime('local search')) break;
    const sources = state.criticalRanks();
    const dests = leastLoaded(state, sources, k).slice();

    // Moves: a free shard from a critical rank to a light GPU, estimated.
    cands.length = 0;
    for (const a of sources) {
      for (const s of state.free[a]) {
        if (!movable(state, s)) continue;
        for (const b of dests) {
          if (!state.canHost(b, s)) continue;
          const est = state.exchangeStep(s, b, -1, false);
          cands.push({ s, b, t: -1, est, sq: state.whatSq });
        }
      }
    }
    let done = tryBest(state, exact);
    if (!done) {
      // Swaps: s on a critical rank for a lighter t on a light GPU, estimated.
      cands.length = 0;
      for (const a of sources) {
        const from = heaviest(fromList, state.free[a], solo, SWAP_FROM, Infinity, state).slice();
        for (const b of dests.slice(0, SWAP_GPUS)) {
          for (const s of from) {
            const to = heaviest(toList, state.free[b], solo, SWAP_TO, solo[s], state);
            for (const t of to) {
              if (cat.tableOf[t] === cat.tableOf[s]) continue;
              if (state.mem[a] - cat.mem[s] + cat.mem[t] > cat.capacity) continue;
              if (state.mem[b] - cat.mem[t] + cat.mem[s] > cat.capacity) continue;
              if (state.hostMem[a] - cat.hostMem[s] + cat.hostMem[t] > cat.hostCapacity) continue;
              if (state.hostMem[b] - cat.hostMem[t] + cat.hostMem[s] > cat.hostCapacity) continue;
              if (!state.allowedOn(a, t) || !state.allowedOn(b, s)) continue;
              if (!swapKeepsHost(state, s, b) || !swapKeepsHost(state, t, a)) continue;
              const est = state.exchangeStep(s, b, t, false);
              cands.push({ s, b, t, est, sq: state.whatSq });
            }
          }
        }
      }
      done = tryBest(state, exact);
    }
    if (!done) break;
    steps++;
  }
  return steps;
}

/** A table_column shard may only swap within its host (allowedOn checks the other shards' host, which the swap keeps). */
function swapKeepsHost(state: PlanState, s: number, to: number): boolean {
  return state.cat.kindOf[s] !== 'table_column' || state.hostOfGpu(state.gpuOf[s]) === state.hostOfGpu(to);
}
