/**
 * Search under a move budget: improve the step's critical path starting from
 * the written placement while at most `ledger.limit` tables end up somewhere
 * other than where they were written (plan/moveSpots.ts MoveLedger).
 *
 * Each step looks at the ranks that set a phase's maximum (the only ranks
 * whose load the step sees) and prices, for the tables on them:
 *   - toward the full plan: the table moved to where the unconstrained plan
 *     puts it (any layout: a whole table to another GPU, a split, a replica);
 *   - local: one free shard to one of the least busy GPUs or back to its
 *     written GPU, and failing a move, a swap with a lighter shard there.
 * Local candidates are ranked by call-free estimates and the best few priced
 * by the model, as in localSearch.ts. The best candidate is applied and kept
 * if the exact state agrees. A candidate that uses up budget must lower the
 * step; one that costs nothing (the table already counts as moved, or goes
 * back) may also just even out the ranks (Σ total² lower at the same step).
 * Every accepted step lowers (step, Σ total²), so the search ends.
 */
import type { PlanControl } from './control';
import { improves } from './localSearch';
import type { Layout } from './catalog';
import { actionsFrom, placeLayout } from './columnSearch';
import { putTable, sameSpot, spotOf, stepIfPut, type MoveLedger, type Spot } from './moveSpots';
import type { PlanState } from './state';

export interface BudgetedSearchOptions {
  /** Where the full plan puts each table: its spot is a candidate (toward the plan). */
  targets?: readonly (Spot | undefined)[];
  /** Local moves and swaps of free shards, and re-cuts of the heaviest tables on critical ranks. */
  local: boolean;
  /** Catalog shards the scorer was prepared on: re-cuts use only layouts among them. */
  prepared?: number;
  /** Predicted cost of each shard alone (orders swap candidates). */
  solo: ArrayLike<number>;
  /** Cap on accepted steps. */
  maxSteps?: number;
}

/** Tables per critical rank, heaviest first, whose other cuts (split, merged, replicated) are priced each step. */
const RECUT_PER_RANK = 2;
/** Least busy GPUs tried as destinations, and local candidates priced by the model per step. */
const DESTINATIONS = 8;
const EXACT = 8;
// Swap breadth, as localSearch.ts.
const SWAP_FROM = 8;
const SWAP_GPUS = 4;
const SWAP_TO = 8;

type Cand =
  | { kind: 'table'; t: number; spot: Spot; step: number; sq: number; cost: number }
  | { kind: 'move'; s: number; b: number; step: number; sq: number; cost: number }
  | { kind: 'swap'; s: number; b: number; x: number; step: number; sq: number; cost: number };

function tol(v: number): number {
  return 1e-9 * Math.max(1, Math.abs(v));
}

/** Whether a change is worth taking: it lowers the step if it costs a move, else (step, Σ total²). */
function worth(c: { step: number; sq: number; cost: number }, cur: number, curSq: number): boolean {
  if (c.cost > 0) return c.step < cur - tol(cur);
  return improves(c.step, c.sq, cur, curSq);
}

function leastLoaded(state: PlanState, exclude: readonly number[], k: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < state.n; g++) if (!exclude.includes(g)) out.push(g);
  out.sort((a, b) => state.total[a] - state.total[b] || a - b);
  return out.slice(0, k);
}

function movable(state: PlanState, s: number): boolean {
  return state.cat.tables[state.cat.tableOf[s]].pin === undefined;
}

/** Tables with a shard (free or group) on any of `ranks`. */
function tablesOn(state: PlanState, ranks: readonly number[]): number[] {
  const out = new Set<number>();
  for (const g of ranks) for (const s of state.members[g]) out.add(state.cat.tableOf[s]);
  return [...out].sort((a, b) => a - b);
}

/** Priced candidates that move tables toward their spot in the full plan. */
function towardPlan(state: PlanState, ledger: MoveLedger, targets: readonly (Spot | undefined)[], tables: Iterable<number>, out: Cand[]): void {
  for (const t of tables) {
    const spot = targets[t];
    if (!spot || state.cat.tables[t].pin !== undefined) continue;
    const now = spotOf(state, t);
    if (!now || sameSpot(now, spot)) continue;
    const cost = ledger.costIf(t, spot);
    if (cost > ledger.left) continue;
    const r = stepIfPut(state, t, spot);
    if (r) out.push({ kind: 'table', t, spot, step: r.step, sq: r.sq, cost });
  }
}

/** The written GPU of free shard s (its index in the written layout), when the layout is the written one. */
function writtenGpu(state: PlanState, ledger: MoveLedger, s: number): number {
  const t = state.cat.tableOf[s];
  const w = ledger.written[t];
  const layout = state.layoutOf[t];
  if (!w || !layout || w.layout !== layout) return -1;
  return w.gpus[layout.shards.indexOf(s)] ?? -1;
}

/** Local moves from the critical ranks, estimated, the best EXACT priced by the model. */
function localMoves(state: PlanState, ledger: MoveLedger, sources: readonly number[], dests: readonly number[], out: Cand[]): void {
  const est: Cand[] = [];
  for (const a of sources) {
    for (const s of state.free[a]) {
      if (!movable(state, s)) continue;
      const t = state.cat.tableOf[s];
      const back = writtenGpu(state, ledger, s);
      const where = back >= 0 && back !== a && !dests.includes(back) ? [...dests, back] : dests;
      for (const b of where) {
        if (b === a || !state.canHost(b, s)) continue;
        const cost = ledger.costIfShard(state, t, s, b);
        if (cost > ledger.left) continue;
        const step = state.exchangeStep(s, b, -1, false);
        est.push({ kind: 'move', s, b, step, sq: state.whatSq, cost });
      }
    }
  }
  est.sort((x, y) => x.step - y.step || x.cost - y.cost || x.sq - y.sq || (x as { s: number }).s - (y as { s: number }).s);
  for (const c of est.slice(0, EXACT)) {
    if (c.kind !== 'move') continue;
    const step = state.exchangeStep(c.s, c.b, -1, true);
    out.push({ ...c, step, sq: state.whatSq });
  }
}

function heaviest(state: PlanState, from: readonly number[], solo: ArrayLike<number>, k: number, below = Infinity): number[] {
  return from
    .filter((s) => solo[s] < below && movable(state, s))
    .sort((a, b) => solo[b] - solo[a] || a - b)
    .slice(0, k);
}

/** Swaps of a heavy shard on a critical rank with a lighter one on a light GPU, estimated, the best EXACT priced. */
function localSwaps(state: PlanState, ledger: MoveLedger, sources: readonly number[], dests: readonly number[], solo: ArrayLike<number>, out: Cand[]): void {
  const cat = state.cat;
  const est: Cand[] = [];
  for (const a of sources) {
    const from = heaviest(state, state.free[a], solo, SWAP_FROM);
    for (const b of dests.slice(0, SWAP_GPUS)) {
      for (const s of from) {
        for (const x of heaviest(state, state.free[b], solo, SWAP_TO, solo[s])) {
          if (cat.tableOf[x] === cat.tableOf[s]) continue;
          if (state.mem[a] - cat.mem[s] + cat.mem[x] > cat.capacity) continue;
          if (state.mem[b] - cat.mem[x] + cat.mem[s] > cat.capacity) continue;
          if (state.hostMem[a] - cat.hostMem[s] + cat.hostMem[x] > cat.hostCapacity) continue;
          if (state.hostMem[b] - cat.hostMem[x] + cat.hostMem[s] > cat.hostCapacity) continue;
          if (!state.allowedOn(a, x) || !state.allowedOn(b, s)) continue;
          if (!keepsHost(state, s, b) || !keepsHost(state, x, a)) continue;
          const cost = ledger.costIfShard(state, cat.tableOf[s], s, b) + ledger.costIfShard(state, cat.tableOf[x], x, a);
          if (cost > ledger.left) continue;
          const step = state.exchangeStep(s, b, x, false);
          est.push({ kind: 'swap', s, b, x, step, sq: state.whatSq, cost });
        }
      }
    }
  }
  est.sort((p, q) => p.step - q.step || p.cost - q.cost || p.sq - q.sq);
  for (const c of est.slice(0, EXACT)) {
    if (c.kind !== 'swap') continue;
    const step = state.exchangeStep(c.s, c.b, c.x, true);
    out.push({ ...c, step, sq: state.whatSq });
  }
}

/**
 * Table t re-cut to `layout` and placed where the step grows least (free
 * shards one by one, group layouts on the least busy hosts that hold them),
 * priced and undone: the spot it would get, or undefined when it does not fit.
 */
function recutSpot(state: PlanState, t: number, layout: Layout): { spot: Spot; step: number; sq: number } | undefined {
  const before = spotOf(state, t);
  if (!before) return undefined;
  state.setLayout(t, layout);
  const ok = placeLayout(state, t);
  state.settle();
  const spot = ok ? spotOf(state, t) : undefined;
  const out = spot && { spot, step: state.step(), sq: state.spread() };
  putTable(state, t, before);
  return out;
}

/** Re-cuts (columnSearch.ts actionsFrom) of the heaviest tables on the critical ranks, priced by the model. */
function recuts(state: PlanState, ledger: MoveLedger, sources: readonly number[], solo: ArrayLike<number>, prepared: number, out: Cand[]): void {
  const cat = state.cat;
  const tables = new Set<number>();
  for (const a of sources) {
    const heavy = state.members[a].slice().sort((x, y) => solo[y] - solo[x] || x - y);
    let k = 0;
    for (const s of heavy) {
      if (k >= RECUT_PER_RANK) break;
      const t = cat.tableOf[s];
      if (cat.tables[t].pin !== undefined || tables.has(t)) continue;
      tables.add(t);
      k++;
    }
  }
  for (const t of tables) {
    for (const a of actionsFrom(cat, t, state.layoutOf[t])) {
      if (!cat.hasLayout(t, a.kind, a.parts, a.rowsPer, prepared)) continue;
      const layout = cat.layout(t, a.kind, a.parts, a.rowsPer);
      if (!layout) continue;
      const r = recutSpot(state, t, layout);
      if (!r) continue;
      const cost = ledger.costIf(t, r.spot);
      if (cost <= ledger.left) out.push({ kind: 'table', t, spot: r.spot, step: r.step, sq: r.sq, cost });
    }
  }
}

/** A table_column shard may only swap within its host. */
function keepsHost(state: PlanState, s: number, to: number): boolean {
  return state.cat.kindOf[s] !== 'table_column' || state.hostOfGpu(state.gpuOf[s]) === state.hostOfGpu(to);
}

/** Tables a candidate moves (for the ledger). */
function touched(state: PlanState, c: Cand): number[] {
  const cat = state.cat;
  if (c.kind === 'table') return [c.t];
  if (c.kind === 'move') return [cat.tableOf[c.s]];
  return [cat.tableOf[c.s], cat.tableOf[c.x]];
}

/** Applies c; returns how to undo it (undefined when it did not apply). */
function apply(state: PlanState, c: Cand): (() => void) | undefined {
  if (c.kind === 'table') {
    const before = spotOf(state, c.t);
    if (!before || !putTable(state, c.t, c.spot)) return undefined;
    return () => {
      putTable(state, c.t, before);
    };
  }
  if (c.kind === 'move') {
    const a = state.gpuOfShard(c.s);
    state.move(c.s, c.b);
    return () => state.move(c.s, a);
  }
  state.swap(c.s, c.x);
  return () => state.swap(c.s, c.x);
}

/** Applies the best acceptable candidate the exact state agrees with; true when one was taken. */
function takeBest(state: PlanState, ledger: MoveLedger, cands: Cand[]): boolean {
  const cur = state.step();
  const curSq = state.spread();
  const ok = cands.filter((c) => c.cost <= ledger.left && worth(c, cur, curSq));
  ok.sort((x, y) => x.step - y.step || x.cost - y.cost || x.sq - y.sq);
  for (const c of ok) {
    const undo = apply(state, c);
    if (!undo) continue;
    const tables = touched(state, c);
    for (const t of tables) ledger.update(state, t);
    if (ledger.left >= 0 && worth({ step: state.step(), sq: state.spread(), cost: c.cost }, cur, curSq)) return true;
    undo();
    for (const t of tables) ledger.update(state, t);
  }
  return false;
}

/**
 * Improves `state` in place within the ledger's budget; returns the number of
 * accepted steps. With `targets`, when no table on a critical rank helps, every
 * table not yet where the full plan puts it is priced once more before giving
 * up (moving a table off a rank's host also changes that rank's
 * communication).
 */
export async function budgetedSearch(state: PlanState, ledger: MoveLedger, ctl: PlanControl, opts: BudgetedSearchOptions): Promise<number> {
  const maxSteps = opts.maxSteps ?? 4 * state.n + 200;
  let steps = 0;
  while (steps < maxSteps && state.n > 1) {
    await ctl.tick();
    if (ctl.outOfTime()) break;
    const sources = state.criticalRanks();
    const dests = leastLoaded(state, sources, DESTINATIONS);
    const cands: Cand[] = [];
    if (opts.targets) towardPlan(state, ledger, opts.targets, tablesOn(state, sources), cands);
    if (opts.local) localMoves(state, ledger, sources, dests, cands);
    if (opts.local && opts.prepared !== undefined) recuts(state, ledger, sources, opts.solo, opts.prepared, cands);
    let done = takeBest(state, ledger, cands);
    if (!done && opts.local) {
      cands.length = 0;
      localSwaps(state, ledger, sources, dests, opts.solo, cands);
      done = takeBest(state, ledger, cands);
    }
    if (!done && opts.targets) {
      cands.length = 0;
      await ctl.tick();
      const all: number[] = [];
      for (let t = 0; t < state.layoutOf.length; t++) if (opts.targets[t]) all.push(t);
      towardPlan(state, ledger, opts.targets, all, cands);
      done = takeBest(state, ledger, cands);
    }
    if (!done) break;
    steps++;
  }
  return steps;
}
