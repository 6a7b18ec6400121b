/**
 * Cost-driven greedy (LPT over predicted cost): free shards sorted by their
 * predicted cost alone, descending, each put on the GPU where the step's
 * critical path grows least (then the least busy such GPU), within memory,
 * pins and the optional dim-balance cap. Memory-heavy shards (over a quarter
 * of a GPU) go first so they still find room.
 */
import type { PlanControl } from './control';
import { bestGpuFor, DEFAULT_CANDIDATES } from './insert';
import { isFree } from './catalog';
import { finishPass } from './leastLoaded';
import type { PlanState } from './state';

const HEAVY_FRACTION = 0.25;

/**
 * Predicted fwd and bwd ms of each catalog shard alone (the sort key, and the
 * basis of the call-free estimates); also stored on `state` (setSolo).
 * Shards already known to `state` are not asked again. The blocks and
 * replicas of a group layout (row, table_row, grid, data_parallel) take their
 * first shard's cost: they are never moved one by one, and a row-wise layout
 * on 128 GPUs would otherwise cost 128 model calls. Returns fwd + bwd.
 * These are the first scores of most shards (a cost model may compute a
 * shard's terms on first use: 40 µs each for FBGEMM's), so it polls `ctl`.
 */
export async function soloCosts(state: PlanState, ctl?: PlanControl): Promise<Float64Array> {
  const cat = state.cat;
  const n = cat.shards.length;
  const prevF = state.soloF;
  const prevB = state.soloB;
  const f = new Float64Array(n);
  const b = new Float64Array(n);
  const one = [0];
  for (let s = 0; s < n; s++) {
    if ((s & 1023) === 1023) await ctl?.tick();
    if (s < prevF.length) {
      f[s] = prevF[s];
      b[s] = prevB[s];
      continue;
    }
    const first = cat.firstOf[s];
    if (!isFree(cat.kindOf[s]) && first !== s && first < s) {
      f[s] = f[first];
      b[s] = b[first];
      continue;
    }
    one[0] = s;
    const c = state.scorer.score(one);
    f[s] = c.fwdMs;
    b[s] = c.bwdMs;
  }
  state.setSolo(f, b);
  return state.solo;
}

/** Shards in greedy order: heavy-memory ones by bytes, then by `key` descending, index as tie-break. */
export function greedyOrder(state: PlanState, shards: readonly number[], key: ArrayLike<number>): number[] {
  const cat = state.cat;
  const heavy = cat.capacity * HEAVY_FRACTION;
  return shards.slice().sort((a, b) => {
    const ha = cat.mem[a] > heavy ? 1 : 0;
    const hb = cat.mem[b] > heavy ? 1 : 0;
    if (ha !== hb) return hb - ha;
    if (ha && cat.mem[a] !== cat.mem[b]) return cat.mem[b] - cat.mem[a];
    return key[b] - key[a] || cat.mem[b] - cat.mem[a] || a - b;
  });
}

export interface GreedyOptions {
  /** NeuroShard dim-balance scale: a GPU's pooled bytes stay ≤ scale × mean (Infinity: off). */
  scale?: number;
  candidates?: number;
}

/**
 * Places `order` (free shards) into `state` (which may already hold pinned,
 * kept or group shards). Returns the shards no GPU could host.
 */
export async function greedyPlace(state: PlanState, order: readonly number[], ctl: PlanControl, opts: GreedyOptions = {}): Promise<number[]> {
  const cat = state.cat;
  let totalOut = state.oracle.totPooled;
  for (const s of order) totalOut += cat.pooled[s];
  const scale = opts.scale ?? Infinity;
  const outCap = scale === Infinity || state.n === 0 ? Infinity : (scale * totalOut) / state.n;
  const unplaced: number[] = [];
  for (let i = 0; i < order.length; i++) {
    if ((i & 63) === 63) {
      await ctl.tick();
      // Out of time: the rest (the lighter shards, in LPT order) by least load.
      if (ctl.outOfTime('the greedy placement')) {
        unplaced.push(...finishPass(state, order.slice(i), order.length, ctl));
        break;
      }
    }
    const s = order[i];
    const c = bestGpuFor(state, s, opts.candidates ?? DEFAULT_CANDIDATES, outCap);
    if (c.gpu < 0) unplaced.push(s);
    else state.placeFast(s, c.gpu, c.free);
  }
  state.settle();
  return unplaced;
}
