/**
 * The written placement as a PlanState, repaired only where it must change to
 * be feasible: the start of a move-budget plan (moveBudget.ts).
 *
 * - A table whose entry is usable keeps it (same layout, same GPUs or hosts).
 * - A valid entry the planners cannot express (a row split over some GPUs,
 *   a table_column split across hosts, a table_row or grid host of another
 *   size) is kept as written, outside the state ("frozen": never moved, and
 *   its load is not seen by the search; the final plan is scored with it).
 * - A table without a usable entry (missing, invalid, a replica larger than
 *   a GPU), and the fewest tables that must leave a GPU over its memory
 *   (smallest kept first, so the biggest go: fewest evictions per GPU), are
 *   placed anew: where the full plan puts them when that fits, else on the
 *   GPU (or hosts) where the step grows least, making room by moving others
 *   if needed (makeRoom.ts). Every table that ends up elsewhere than written
 *   is a required move.
 */
import type { Placement, PlacementEntry } from '../config/types';
import { chooseHosts } from './columnSearch';
import type { PlanControl } from './control';
import { isFree, type Catalog, type Layout } from './catalog';
import { entryProblems } from './evaluate';
import { bestGpuFor } from './insert';
import { makeRoom } from './makeRoom';
import { putTable, sameSpot, spotOf, type Spot } from './moveSpots';
import { PlanState } from './state';
import type { SetScorer } from '../cost/types';

export interface WrittenStart {
  /** The written placement, repaired where it had to be. */
  state: PlanState;
  /** Each table's usable written spot (undefined: none). */
  written: (Spot | undefined)[];
  /** Tables the repair placed elsewhere than written (or placed at all). */
  required: Set<number>;
  /** Valid written entries the planners cannot express: kept as written, outside the state. */
  frozen: Map<string, PlacementEntry>;
  /** Tables neither written usably nor placeable anywhere (the plan stays infeasible). */
  unplaced: number[];
}

/** Kinds whose valid written forms a start layout may not express (repair.ts startLayouts). */
const UNUSUAL_FORMS = new Set(['row', 'table_column', 'table_row', 'grid']);

/**
 * @param written each table's usable written spot (startLayouts over the written placement)
 * @param target each table's spot in the full plan (where a required move goes first)
 * @param fallback each table's layout when neither is usable (initialLayouts)
 */
export async function writtenStart(
  cat: Catalog,
  scorer: SetScorer,
  solo: { f: Float64Array; b: Float64Array },
  placement: Placement,
  written: (Spot | undefined)[],
  target: readonly (Spot | undefined)[],
  fallback: readonly (Layout | undefined)[],
  ctl: PlanControl,
): Promise<WrittenStart> {
  const state = new PlanState(cat, scorer);
  state.setSolo(solo.f, solo.b);
  const frozen = new Map<string, PlacementEntry>();
  const T = cat.tables.length;
  const inPlan = (t: number) => cat.tableIndex.get(cat.tables[t].name) === t;
  for (let t = 0; t < T; t++) {
    if (!inPlan(t)) continue;
    const table = cat.tables[t];
    const entry = placement.get(table.name);
    if (!written[t] && entry && UNUSUAL_FORMS.has(entry.kind) && entryProblems(table, entry, cat.config.devices).length === 0) {
      frozen.set(table.name, entry);
      continue;
    }
    state.layoutOf[t] = written[t]?.layout ?? target[t]?.layout ?? fallback[t];
  }

  // Written group layouts on their hosts, biggest first.
  const size = (t: number) => state.layoutOf[t]!.shards.reduce((a, s) => a + cat.mem[s], 0);
  const groups: number[] = [];
  const items: [number, number][] = [];
  for (let t = 0; t < T; t++) {
    const w = written[t];
    if (!w || state.layoutOf[t] !== w.layout) continue;
    if (isFree(w.layout.kind)) w.layout.shards.forEach((s, i) => items.push([s, w.gpus[i]]));
    else groups.push(t);
  }
  for (const t of groups.sort((a, b) => size(b) - size(a) || a - b)) state.placeGroup(t, written[t]!.hosts ?? [], false);
  // Written free shards, smallest first: a GPU over its memory sheds its biggest.
  items.sort((x, y) => cat.mem[x[0]] - cat.mem[y[0]] || cat.hostMem[x[0]] - cat.hostMem[y[0]] || x[0] - y[0]);
  state.placeBulk(items);
  // A table with some shards turned away leaves whole.
  for (let t = 0; t < T; t++) {
    const l = state.layoutOf[t];
    if (l && isFree(l.kind) && l.shards.some((s) => state.gpuOfShard(s) >= 0) && !spotOf(state, t)) state.setLayout(t, l);
  }
  await ctl.tick();

  // Everything not where it was written goes where the full plan puts it, else where the step grows least.
  const pending: number[] = [];
  for (let t = 0; t < T; t++) if (state.layoutOf[t] && !spotOf(state, t)) pending.push(t);
  pending.sort((a, b) => Number(isFree(state.layoutOf[a]!.kind)) - Number(isFree(state.layoutOf[b]!.kind)) || size(b) - size(a) || a - b);
  for (const t of pending) {
    await ctl.tick();
    const want = target[t];
    if (want && want.layout === state.layoutOf[t] && putTable(state, t, want)) continue;
    placeAnywhere(state, t);
  }
  state.settle();
  await makeRoom(state, state.solo, ctl);
  state.settle();

  const required = new Set<number>();
  const unplaced: number[] = [];
  for (let t = 0; t < T; t++) {
    if (!state.layoutOf[t]) continue;
    const now = spotOf(state, t);
    if (!now) unplaced.push(t);
    else if (!sameSpot(now, written[t])) required.add(t);
  }
  return { state, written, required, frozen, unplaced };
}

/** Puts table t's (unplaced) layout where the step grows least; shards with no room are left to makeRoom. */
function placeAnywhere(state: PlanState, t: number): void {
  const layout = state.layoutOf[t]!;
  if (!isFree(layout.kind)) {
    const hosts = chooseHosts(state, layout);
    if (hosts) state.placeGroup(t, hosts, true);
    return;
  }
  const order = layout.shards.slice().sort((x, y) => state.cat.mem[y] - state.cat.mem[x] || x - y);
  for (const s of order) {
    const c = bestGpuFor(state, s);
    if (c.gpu >= 0) state.place(s, c.gpu);
  }
}
