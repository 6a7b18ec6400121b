/**
 * The published baselines (DreamShard / AutoShard / NeuroShard `sharders.py`,
 * shared notes sharding-anchors.md §7), made to respect memory, pins and the
 * one-shard-per-GPU rule so their plans are usable:
 * - size / dim / lookup / size-lookup: sort shards by a per-shard cost
 *   (bytes; dim; dim × pooling; dim × pooling × log10(rows)) descending, put
 *   each on the GPU with room whose running sum of that cost is lowest
 *   (tie → less memory);
 * - random: a uniformly random GPU among those with room (seeded);
 * - round-robin: shard i on GPU i mod N, else the next GPU with room.
 * Shards of split tables count with their own rows, dim and pooling. None of
 * them asks the cost model while placing: the plan is scored once at the end.
 */
import type { PlanControl } from './control';
import { randInt, type Rng } from './rng';
import type { PlanState } from './state';

export type HeuristicKey = 'size' | 'dim' | 'lookup' | 'size-lookup';

export function heuristicCost(state: PlanState, s: number, key: HeuristicKey): number {
  const cat = state.cat;
  const sh = cat.shards[s];
  switch (key) {
    case 'size': return cat.mem[s];
    case 'dim': return sh.dim;
    case 'lookup': return sh.dim * sh.pooling;
    case 'size-lookup': return sh.dim * sh.pooling * Math.log10(Math.max(1, sh.rows));
  }
}

/** Pinned shards first (they have one choice), then the rest in the given order. */
function pinnedFirst(state: PlanState, shards: readonly number[]): number[] {
  const pinned = shards.filter((s) => state.cat.tables[state.cat.tableOf[s]].pin !== undefined);
  const free = shards.filter((s) => state.cat.tables[state.cat.tableOf[s]].pin === undefined);
  return [...pinned, ...free];
}

export async function heuristicGreedy(state: PlanState, shards: readonly number[], key: HeuristicKey, ctl: PlanControl): Promise<number[]> {
  const cost = new Map<number, number>();
  for (const s of shards) cost.set(s, heuristicCost(state, s, key));
  const mem = state.cat.mem;
  const order = shards.slice().sort((a, b) => cost.get(b)! - cost.get(a)! || mem[b] - mem[a] || b - a);
  const sum = new Float64Array(state.n);
  const unplaced: number[] = [];
  let i = 0;
  for (const s of pinnedFirst(state, order)) {
    if ((++i & 255) === 0) await ctl.tick();
    let best = -1;
    for (let g = 0; g < state.n; g++) {
      if (!state.canHost(g, s)) continue;
      if (best < 0 || sum[g] < sum[best] || (sum[g] === sum[best] && state.mem[g] < state.mem[best])) best = g;
    }
    if (best < 0) { unplaced.push(s); continue; }
    sum[best] += cost.get(s)!;
    state.placeQuiet(s, best);
  }
  state.refreshAll();
  return unplaced;
}

export async function randomPlace(state: PlanState, shards: readonly number[], rng: Rng, ctl: PlanControl): Promise<number[]> {
  const unplaced: number[] = [];
  const room: number[] = [];
  let i = 0;
  for (const s of pinnedFirst(state, shards)) {
    if ((++i & 255) === 0) await ctl.tick();
    room.length = 0;
    for (let g = 0; g < state.n; g++) if (state.canHost(g, s)) room.push(g);
    if (room.length === 0) { unplaced.push(s); continue; }
    state.placeQuiet(s, room[randInt(rng, room.length)]);
  }
  state.refreshAll();
  return unplaced;
}

export async function roundRobinPlace(state: PlanState, shards: readonly number[], ctl: PlanControl): Promise<number[]> {
  const unplaced: number[] = [];
  let next = 0;
  let i = 0;
  for (const s of pinnedFirst(state, shards)) {
    if ((++i & 255) === 0) await ctl.tick();
    let placed = false;
    for (let j = 0; j < state.n; j++) {
      const g = (next + j) % state.n;
      if (state.canHost(g, s)) { state.placeQuiet(s, g); next = g + 1; placed = true; break; }
    }
    if (!placed) unplaced.push(s);
  }
  state.refreshAll();
  return unplaced;
}
