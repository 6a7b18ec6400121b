/**
 * The published baselines (DreamShard / AutoShard / NeuroShard `sharders.py`,
 * docs/research/sharding-anchors.md §7), made to respect memory, pins and the
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
import { finishPass, leastLoadedPlace } from './leastLoaded';
import { randInt, type Rng } from './rng';
import type { PlanState } from './state';

export type HeuristicKey = 'size' | 'dim' | 'lookup' | 'size-lookup';

export function heuristicCost(state: PlanState, s: number, key: HeuristicKey): number {
  const cat = state.cat;
  const sh = cat.shards[s];
  switch (key) {
    case 'size':
      return cat.mem[s];
    case 'dim':
      return sh.dim;
    case 'lookup':
      return sh.dim * sh.pooling;
    case 'size-lookup':
      return sh.dim * sh.pooling * Math.log10(Math.max(1, sh.rows));
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
  await ctl.tick();
  // The GPU with room whose running sum is lowest (ties: less memory, lower
  // index), from a heap rather than a scan of every GPU per shard.
  const { unplaced } = leastLoadedPlace(state, pinnedFirst(state, order), new Float64Array(state.n), (s) => cost.get(s)!);
  await ctl.tick();
  state.refreshAll();
  return unplaced;
}

export async function randomPlace(state: PlanState, shards: readonly number[], rng: Rng, ctl: PlanControl): Promise<number[]> {
  const unplaced: number[] = [];
  const room: number[] = [];
  const order = pinnedFirst(state, shards);
  for (let i = 0; i < order.length; i++) {
    if ((i & 255) === 255) {
      await ctl.tick();
      if (ctl.outOfTime('the random placement')) return finishCheaply(state, order.slice(i), order.length, unplaced, ctl);
    }
    const s = order[i];
    room.length = 0;
    for (let g = 0; g < state.n; g++) if (state.canHost(g, s)) room.push(g);
    if (room.length === 0) {
      unplaced.push(s);
      continue;
    }
    state.placeQuiet(s, room[randInt(rng, room.length)]);
  }
  state.refreshAll();
  return unplaced;
}

export async function roundRobinPlace(state: PlanState, shards: readonly number[], ctl: PlanControl): Promise<number[]> {
  const unplaced: number[] = [];
  let next = 0;
  const order = pinnedFirst(state, shards);
  for (let i = 0; i < order.length; i++) {
    if ((i & 255) === 255) {
      await ctl.tick();
      if (ctl.outOfTime('the round-robin placement')) return finishCheaply(state, order.slice(i), order.length, unplaced, ctl);
    }
    const s = order[i];
    let placed = false;
    for (let j = 0; j < state.n; j++) {
      const g = (next + j) % state.n;
      if (state.canHost(g, s)) {
        state.placeQuiet(s, g);
        next = g + 1;
        placed = true;
        break;
      }
    }
    if (!placed) unplaced.push(s);
  }
  state.refreshAll();
  return unplaced;
}

/** Out of time in a quiet pass: score what is placed, then finish the cheap way. */
function finishCheaply(state: PlanState, rest: number[], of: number, unplaced: number[], ctl: PlanControl): number[] {
  state.refreshAll();
  unplaced.push(...finishPass(state, rest, of, ctl));
  return unplaced;
}
