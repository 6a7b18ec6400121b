/**
 * Local search on the predicted max GPU (NeuroShard/TorchRec-style refinement):
 * repeatedly take the most loaded GPU and apply the best move of one of its
 * shards to a lightly loaded GPU, or failing that the best swap with one, that
 * lowers the predicted max over all GPUs (comm of GPUs sharing a host moves
 * too). Candidates are ranked by call-free estimates (fusion factor × solo
 * cost, exact comm) and only the best few are scored by the model. Every
 * accepted step strictly lowers the max, so it terminates; memory, pins and
 * the one-shard-of-a-table-per-GPU rule hold throughout.
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

// Swap search breadth per step: heaviest shards of the max GPU × destination
// GPUs × lighter shards there (all estimated without model calls).
const SWAP_FROM = 8;
const SWAP_GPUS = 4;
const SWAP_TO = 8;

interface Cand { s: number; b: number; t: number; est: number }

const targets: number[] = [];
const fromList: number[] = [];
const toList: number[] = [];
const pair = new Float64Array(3);
const cands: Cand[] = [];

function leastLoaded(state: PlanState, exclude: number, k: number): number[] {
  targets.length = 0;
  const { total, n } = state;
  for (let g = 0; g < n; g++) {
    if (g === exclude) continue;
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

/** Candidates sorted by estimate; the `exact` best are scored by the model and the best real improvement kept. */
function bestExact(state: PlanState, a: number, limit: number, exact: number): Cand | undefined {
  cands.sort((x, y) => x.est - y.est || x.s - y.s || x.b - y.b || x.t - y.t);
  let best: Cand | undefined;
  let bestM = limit;
  const n = Math.min(exact, cands.length);
  for (let i = 0; i < n; i++) {
    const c = cands[i];
    state.exchangeTotals(a, c.s, c.b, c.t, pair, true);
    const m = Math.max(pair[0], pair[1], pair[2]);
    if (m < bestM) { bestM = m; best = c; }
  }
  return best;
}

/** Improves `state` in place; returns the number of accepted steps. */
export async function localSearch(state: PlanState, ctl: PlanControl, opts: LocalSearchOptions): Promise<number> {
  const cat = state.cat;
  const k = Math.max(1, opts.targets ?? 8);
  const exact = Math.max(1, opts.exact ?? 8);
  const maxSteps = opts.maxSteps ?? 4 * state.n + 200;
  const solo = opts.solo;
  state.syncComm();
  let steps = 0;
  while (steps < maxSteps && state.n > 1) {
    await ctl.tick();
    if (ctl.outOfTime()) break;
    const a = state.argMax();
    const ta = state.total[a];
    const limit = ta - Math.max(1e-9, ta * 1e-7);
    const dests = leastLoaded(state, a, k);

    // Moves: shard s from a to b, estimated.
    cands.length = 0;
    for (const s of state.members[a]) {
      if (!movable(state, s)) continue;
      for (const b of dests) {
        if (state.total[b] >= limit || !state.canHost(b, s)) continue;
        state.exchangeTotals(a, s, b, -1, pair, false);
        cands.push({ s, b, t: -1, est: Math.max(pair[0], pair[1], pair[2]) });
      }
    }
    let chosen = bestExact(state, a, limit, exact);
    if (!chosen) {
      // Swaps: s on a for a lighter t on b, estimated.
      cands.length = 0;
      const from = heaviest(fromList, state.members[a], solo, SWAP_FROM, Infinity, state);
      for (const b of dests.slice(0, SWAP_GPUS)) {
        for (const s of from) {
          const to = heaviest(toList, state.members[b], solo, SWAP_TO, solo[s], state);
          for (const t of to) {
            if (cat.tableOf[t] === cat.tableOf[s]) continue;
            if (state.mem[a] - cat.mem[s] + cat.mem[t] > cat.capacity) continue;
            if (state.mem[b] - cat.mem[t] + cat.mem[s] > cat.capacity) continue;
            if (!state.allowedOn(a, t) || !state.allowedOn(b, s)) continue;
            state.exchangeTotals(a, s, b, t, pair, false);
            cands.push({ s, b, t, est: Math.max(pair[0], pair[1], pair[2]) });
          }
        }
      }
      chosen = bestExact(state, a, limit, exact);
    }
    if (!chosen) break;
    if (chosen.t >= 0) {
      state.unplace(chosen.s);
      state.unplace(chosen.t);
      state.place(chosen.s, chosen.b);
      state.place(chosen.t, a);
    } else {
      state.move(chosen.s, chosen.b);
    }
    steps++;
  }
  return steps;
}
