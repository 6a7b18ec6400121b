/**
 * Memory repair after a greedy pass: a free shard no GPU had room for gets a
 * GPU by moving other (unpinned, free) shards off it to GPUs with room. Moves
 * are planned on paper first and applied only if they free enough memory, so
 * a failed attempt leaves the state unchanged.
 */
import type { PlanControl } from './control';
import { unplacedFree } from './placementOf';
import type { PlanState } from './state';

// GPUs tried per stuck shard, the emptiest first.
const TRY_GPUS = 8;

function tryMakeRoom(state: PlanState, s: number, g: number): boolean {
  const cat = state.cat;
  const need = state.mem[g] + cat.mem[s] - cat.capacity;
  const needHost = state.hostMem[g] + cat.hostMem[s] - cat.hostCapacity;
  if (need <= 0 && needHost <= 0) return true;
  // Evict the biggest movable shards first: fewest moves.
  const movable = state.free[g]
    .filter((e) => cat.tables[cat.tableOf[e]].pin === undefined && cat.kindOf[e] !== 'table_column')
    .sort((a, b) => cat.mem[b] - cat.mem[a] || cat.hostMem[b] - cat.hostMem[a] || a - b);
  const extra = new Float64Array(state.n);
  const extraHost = new Float64Array(state.n);
  const moves: [number, number][] = [];
  let freed = 0;
  let freedHost = 0;
  for (const e of movable) {
    if (freed >= need && freedHost >= needHost) break;
    let host = -1;
    for (let h = 0; h < state.n; h++) {
      if (h === g || !state.allowedOn(h, e)) continue;
      if (state.mem[h] + extra[h] + cat.mem[e] > cat.capacity) continue;
      if (state.hostMem[h] + extraHost[h] + cat.hostMem[e] > cat.hostCapacity) continue;
      if (host < 0 || state.total[h] < state.total[host]) host = h;
    }
    if (host < 0) continue;
    extra[host] += cat.mem[e];
    extraHost[host] += cat.hostMem[e];
    moves.push([e, host]);
    freed += cat.mem[e];
    freedHost += cat.hostMem[e];
  }
  if (freed < need || freedHost < needHost) return false;
  for (const [e, h] of moves) state.move(e, h);
  return true;
}

/** Places what it can of the unplaced free shards; returns how many are still unplaced. */
export async function makeRoom(state: PlanState, solo: ArrayLike<number>, ctl: PlanControl): Promise<number> {
  const stuck = unplacedFree(state);
  if (stuck.length === 0) return 0;
  const cat = state.cat;
  stuck.sort((a, b) => cat.mem[b] - cat.mem[a] || solo[b] - solo[a] || a - b);
  let left = 0;
  for (const s of stuck) {
    await ctl.tick();
    const gpus: number[] = [];
    for (let g = 0; g < state.n; g++) if (state.allowedOn(g, s)) gpus.push(g);
    gpus.sort((a, b) => state.mem[a] - state.mem[b] || a - b);
    let placed = false;
    for (const g of gpus.slice(0, TRY_GPUS)) {
      if (tryMakeRoom(state, s, g)) {
        state.place(s, g);
        placed = true;
        break;
      }
    }
    if (!placed) left++;
  }
  return left;
}
