/**
 * Least-loaded placement (LPT when the shards come biggest first): each shard
 * goes on the GPU with the lowest running load among those that can host it
 * (memory, pin, one shard of a table per GPU, table_column host), ties to less
 * memory, then the lower index. GPUs sit in a binary min-heap on that key, so
 * a shard costs O(log GPUs) unless many GPUs are full, instead of a scan of
 * every GPU. No cost-model calls while placing.
 *
 * Two users: the size/dim/lookup baselines (load = Σ of their heuristic cost),
 * and `quickFill`, the cheap way to finish a constructive pass once the time
 * budget is spent (load = the GPU's step total in ms plus the solo cost of
 * what it is given).
 */
import type { PlanControl } from './control';
import type { PlanState } from './state';
import { IndexHeap } from './indexHeap';

/** GPUs by (load, memory, index): the least-loaded first. */
function gpuHeap(load: Float64Array, mem: Float64Array, n: number): IndexHeap {
  return new IndexHeap(
    Array.from({ length: n }, (_, g) => g),
    (x, y) => (load[x] !== load[y] ? load[x] < load[y] : mem[x] !== mem[y] ? mem[x] < mem[y] : x < y),
  );
}

/**
 * Places `order` (unplaced free shards) one by one on the least-loaded GPU
 * that can host it, adding `weight(s)` to that GPU's `load` (mutated).
 * `state.mem` breaks ties. Shards go on with placeQuiet: the caller rescores.
 * Returns the shards no GPU could host, and the GPUs that got shards.
 */
export function leastLoadedPlace(state: PlanState, order: readonly number[], load: Float64Array, weight: (s: number) => number): { unplaced: number[]; touched: Set<number> } {
  const heap = gpuHeap(load, state.mem, state.n);
  const unplaced: number[] = [];
  const touched = new Set<number>();
  const popped: number[] = [];
  for (const s of order) {
    popped.length = 0;
    let got = -1;
    while (heap.size > 0) {
      const g = heap.pop();
      if (state.canHost(g, s)) {
        got = g;
        break;
      }
      popped.push(g);
    }
    for (const g of popped) heap.push(g);
    if (got < 0) {
      unplaced.push(s);
      continue;
    }
    load[got] += weight(s);
    state.placeQuiet(s, got);
    touched.add(got);
    heap.push(got);
  }
  return { unplaced, touched };
}

/** GPUs quickFill weighs per shard: the least loaded that can host it (as the greedy's DEFAULT_CANDIDATES). */
const FILL_CANDIDATES = 8;

/**
 * Finishes a constructive pass cheaply: each of `rest` (unplaced free shards,
 * in the pass's order) goes, among the FILL_CANDIDATES least-loaded GPUs that
 * can host it, where the estimated step grows least: the greedy's criterion
 * (insert.ts) with no model call and no full refresh per shard. Compute is
 * the GPU's fusion factor × the shard's solo cost (PlanState.estimateSwap),
 * communication the step oracle's all-to-alls with the rank's new bytes; the
 * phase maxima and loads are kept up to date for the chosen rank only (other
 * ranks' receive side moves a little and is caught up at the end). Every GPU
 * that got a shard is rescored exactly, once. Returns the shards no GPU could
 * host.
 */
export function quickFill(state: PlanState, rest: readonly number[]): number[] {
  const n = state.n;
  const cat = state.cat;
  const o = state.oracle;
  const soloF = state.soloF;
  const soloB = state.soloB;
  const fwd = Float64Array.from(state.fwd);
  const bwd = Float64Array.from(state.bwd);
  const inMs = Float64Array.from(state.inMs);
  const outMs = Float64Array.from(state.outMs);
  const load = Float64Array.from(state.total);
  const ff = new Float64Array(n);
  const fb = new Float64Array(n);
  let mIn = 0;
  let mF = 0;
  let mO = 0;
  let mB = 0;
  for (let g = 0; g < n; g++) {
    ff[g] = state.soloSumF[g] > 0 && state.freeFwd[g] > 0 ? state.freeFwd[g] / state.soloSumF[g] : 1;
    fb[g] = state.soloSumB[g] > 0 && state.freeBwd[g] > 0 ? state.freeBwd[g] / state.soloSumB[g] : 1;
    mIn = Math.max(mIn, inMs[g]);
    mF = Math.max(mF, fwd[g]);
    mO = Math.max(mO, outMs[g]);
    mB = Math.max(mB, bwd[g]);
  }
  const heap = gpuHeap(load, state.mem, n);
  const unplaced: number[] = [];
  const touched = new Set<number>();
  const popped: number[] = [];
  const cand: number[] = [];
  for (const s of rest) {
    popped.length = 0;
    cand.length = 0;
    while (heap.size > 0 && cand.length < FILL_CANDIDATES) {
      const g = heap.pop();
      popped.push(g);
      if (state.canHost(g, s)) cand.push(g);
    }
    let best = -1;
    let bestStep = Infinity;
    let bestLoad = Infinity;
    let bi = 0;
    let bf = 0;
    let bo = 0;
    let bb = 0;
    for (const g of cand) {
      const h = o.hostOf[g];
      const ids = cat.ids[s];
      const pooled = cat.pooled[s];
      const i = o.inMs(g, o.ids[g] + ids, o.hostIds[h] + ids, o.totIds + ids);
      const out = o.pooledMs(g, o.pooled[g] + pooled, o.hostPooled[h] + pooled, o.totPooled + pooled) + state.groupPart[g];
      const f = fwd[g] + ff[g] * (soloF[s] ?? 0);
      const b = bwd[g] + fb[g] * (soloB[s] ?? 0);
      const step = Math.max(mIn, i) + Math.max(mF, f) + 2 * Math.max(mO, out) + Math.max(mB, b);
      const total = i + f + 2 * out + b;
      if (step < bestStep || (step === bestStep && total < bestLoad)) {
        best = g;
        bestStep = step;
        bestLoad = total;
        bi = i;
        bf = f;
        bo = out;
        bb = b;
      }
    }
    if (best >= 0) {
      state.placeQuiet(s, best);
      touched.add(best);
      inMs[best] = bi;
      fwd[best] = bf;
      outMs[best] = bo;
      bwd[best] = bb;
      load[best] = bi + bf + 2 * bo + bb + state.dpMs;
      mIn = Math.max(mIn, bi);
      mF = Math.max(mF, bf);
      mO = Math.max(mO, bo);
      mB = Math.max(mB, bb);
    } else unplaced.push(s);
    for (const g of popped) heap.push(g);
  }
  state.rescoreGpus(touched);
  return unplaced;
}

/**
 * A constructive pass that ran out of time: `rest` of its `of` shards placed
 * by quickFill, and the plan's note says how many. Returns the shards no GPU
 * could host.
 */
export function finishPass(state: PlanState, rest: readonly number[], of: number, ctl: PlanControl): number[] {
  const unplaced = quickFill(state, rest);
  ctl.finishedCheaply(`${rest.length.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} shards placed by least-loaded fill`);
  return unplaced;
}
