/**
 * The best plan within a move budget (`shardlens plan --max-moves N`, the
 * editor's "Replan (≤ N moves)"): every table that changes place costs a
 * checkpoint reshard in production, so this finds the lowest step reachable
 * from the written placement by moving at most N tables.
 *
 * A move is a table whose placement entry changes, as `shardlens diff` counts
 * them: another kind, other GPUs, hosts or order; a table placed that had no
 * entry; an entry dropped (a table no longer in the config). Moving one table
 * twice is one move.
 *
 * How:
 * 1. The written placement is loaded and repaired only where it must change
 *    to be feasible (writtenState.ts). Those required moves count against N;
 *    when N is smaller, the written placement comes back unchanged and the
 *    plan says how many moves feasibility needs.
 * 2. The full plan (planConfig from the written placement, or the one the
 *    caller already has, e.g. Replan's) says where each table would go.
 * 3. Three candidates, each within the budget, each trimmed of moves that buy
 *    nothing (moveTrim.ts):
 *    - toward the plan: from the written placement, repeatedly the move to the
 *      full plan's spot with the largest exact gain, re-priced after each
 *      (the step is a maximum: moves interact), then local moves of the
 *      tables already moved and any budget left (budgetedSearch.ts);
 *    - local: a local search from the written placement whose moves and
 *      swaps may touch at most N distinct tables (budgetedSearch.ts);
 *    - back from the plan: the full plan with the returns that cost the step
 *      least taken until at most N moves are left (moveTrim.ts).
 * 4. The lowest step wins (then fewer moves); it is scored like any written
 *    placement (evaluatePlacement: the cost model's predict), and each move's
 *    gain is attributed by replaying the moves best first (moveGains.ts).
 * Deterministic for a seed; `timeBudgetMs` cuts optional phases short, never
 * the budget.
 */
import type { Placement, PlacementEntry, ShardConfig } from '../config/types';
import { sameEntry } from '../config/placementText';
import type { CostModel, SetScorer } from '../cost/types';
import { budgetedSearch } from './budgetedSearch';
import { Catalog, type Layout } from './catalog';
import { actionsFrom } from './columnSearch';
import { isAbortError, PlanControl } from './control';
import { evaluatePlacement } from './evaluate';
import { soloCosts } from './greedy';
import { initialLayouts } from './layouts';
import { moveGains } from './moveGains';
import { MoveLedger, putTable, sameSpot, spotOf, type Spot } from './moveSpots';
import { trimMoves } from './moveTrim';
import { entryOf, unplacedTables } from './placementOf';
import { planConfig } from './planner';
import { startLayouts } from './repair';
import { PlanState } from './state';
import type { PlanResult, Strategy } from './types';
import { writtenStart } from './writtenState';

export interface MoveBudgetOptions {
  /** At most this many tables change place (a whole number ≥ 0). */
  maxMoves: number;
  /** The full plan to move toward (e.g. Replan's proposal); planned here when absent. */
  target?: PlanResult;
  /** Strategy of the full plan when it is planned here (default 'best'). */
  strategy?: Strategy;
  seed?: number;
  signal?: AbortSignal;
  /** Soft limit, ms, for the whole call (the full plan included when it is planned here). */
  timeBudgetMs?: number;
}

/** One table whose placement entry changes. */
export interface PlannedMove {
  table: string;
  /** Absent: the table had no entry. */
  from?: PlacementEntry;
  /** Absent: the entry is dropped (the table is not in the config). */
  to?: PlacementEntry;
  /**
   * How much this move lowered the step, ms, replayed best first from the
   * written placement (moveGains.ts); absent for required moves and for moves
   * that only pay together with others (see `jointGainMs`).
   */
  gainMs?: number;
  /** Needed for feasibility: the written entry was missing, invalid, over memory or names a table not in the config. */
  required: boolean;
}

export type MoveBudgetMethod = 'written' | 'toward-plan' | 'local-search' | 'back-from-plan';

export interface MoveBudgetResult {
  /** The plan within the budget, scored by the cost model (or the written placement when the budget is too small). */
  plan: PlanResult;
  /** The written placement scored; absent unless every table has an entry. */
  written?: PlanResult;
  /** The unconstrained plan, and how many moves it makes. */
  full: PlanResult;
  fullMoves: number;
  maxMoves: number;
  /** Every table whose entry changes, in config order (then dropped entries). */
  moves: PlannedMove[];
  /** Moves the written placement needs just to become feasible. */
  requiredMoves: number;
  /** maxMoves < requiredMoves: `plan` is the written placement, unchanged. */
  tooFewMoves: boolean;
  /** Which candidate won. */
  method: MoveBudgetMethod;
  /** What the moves without their own gain took off together, ms (0 when none). */
  jointGainMs: number;
  elapsedMs: number;
}

/** Tables whose entry differs between two placements: config order, then names only `before` has. */
export function entryMoves(before: Placement, after: Placement, order: readonly string[]): Array<{ table: string; from?: PlacementEntry; to?: PlacementEntry }> {
  const out: Array<{ table: string; from?: PlacementEntry; to?: PlacementEntry }> = [];
  const seen = new Set<string>();
  for (const name of [...order, ...after.keys(), ...before.keys()]) {
    if (seen.has(name)) continue;
    seen.add(name);
    const from = before.get(name);
    const to = after.get(name);
    if (!sameEntry(from, to)) out.push({ table: name, ...(from ? { from } : {}), ...(to ? { to } : {}) });
  }
  return out;
}

interface Candidate {
  method: MoveBudgetMethod;
  state: PlanState;
  placement: Placement;
  moves: number;
  /** Tables of the state left off every GPU (their written entries stand in the placement). */
  unplaced: number;
}

/** The state as a placement: frozen tables and tables left unplaced keep their written entries. */
function placementFrom(state: PlanState, written: Placement, frozen: ReadonlyMap<string, PlacementEntry>): Placement {
  const out: Placement = new Map();
  state.cat.tables.forEach((table, t) => {
    if (state.cat.tableIndex.get(table.name) !== t) return;
    const e = frozen.get(table.name) ?? entryOf(state, t) ?? written.get(table.name);
    if (e) out.set(table.name, e);
  });
  return out;
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.unplaced !== b.unplaced) return a.unplaced < b.unplaced;
  const x = a.state.step();
  const y = b.state.step();
  const tol = 1e-9 * Math.max(1, x, y);
  if (Math.abs(x - y) > tol) return x < y;
  if (a.moves !== b.moves) return a.moves < b.moves;
  const p = a.state.spread();
  const q = b.state.spread();
  return p < q - 1e-9 * Math.max(1, p, q);
}

/** Every table of the state put on its spot in the full plan (all moved tables off first, so none blocks another). */
function fullState(start: PlanState, target: readonly (Spot | undefined)[]): PlanState {
  const state = start.clone();
  const moving: number[] = [];
  target.forEach((spot, t) => {
    if (spot && state.layoutOf[t] && state.cat.tables[t].pin === undefined && !sameSpot(spotOf(state, t), spot)) moving.push(t);
  });
  for (const t of moving) state.setLayout(t, state.layoutOf[t]);
  // Group layouts first: they need fixed ranks.
  moving.sort((a, b) => Number(target[a]!.layout.kind === 'table') - Number(target[b]!.layout.kind === 'table') || a - b);
  for (const t of moving) {
    if (putTable(state, t, target[t]!)) continue;
    // Where it started, if it was placed there (it may not fit either; then it stays off).
    const back = spotOf(start, t);
    if (back) putTable(state, t, back);
  }
  state.settle();
  return state;
}

/**
 * Tables whose other cuts the searches may try: the heaviest (their cost alone)
 * and at least half as many as GPUs, as columnSearch.ts picks them.
 */
const RECUT_TABLES = 24;

/**
 * Prepares the model over the catalog grown by the cuts one step away
 * (columnSearch.ts actionsFrom) from each heavy table's layout, and the
 * shards' costs alone. `layouts`: each table's layout in the written placement (or
 * where it will be placed).
 */
export async function prepareRecuts(cat: Catalog, model: CostModel, layouts: readonly (Layout | undefined)[], ctl: PlanControl): Promise<{ scorer: SetScorer; probe: PlanState }> {
  const first = new PlanState(cat, model.prepare(cat.shards, cat.env));
  // Awaited: soloCosts polls `ctl` (it is async), and the heavy tables below,
  // the probe's copy and the searches' `solo` all read the finished costs.
  await soloCosts(first, ctl);
  const cost = (t: number) => layouts[t]?.shards.reduce((m, s) => Math.max(m, first.solo[s]), 0) ?? 0;
  const heavy = layouts
    .map((_, t) => t)
    .filter((t) => layouts[t] && cat.tables[t].pin === undefined)
    .sort((a, b) => cost(b) - cost(a) || a - b)
    .slice(0, Math.max(RECUT_TABLES, Math.ceil(cat.gpus / 2)));
  const count = cat.shards.length;
  for (const t of heavy) for (const a of actionsFrom(cat, t, layouts[t])) cat.layout(t, a.kind, a.parts, a.rowsPer);
  if (cat.shards.length === count) return { scorer: first.scorer, probe: first };
  const probe = new PlanState(cat, model.prepare(cat.shards, cat.env));
  probe.setSolo(first.soloF, first.soloB);
  await soloCosts(probe, ctl);
  return { scorer: probe.scorer, probe };
}

/** The plan with at most `opts.maxMoves` tables moved from the written placement. Rejects only with an AbortError. */
export async function planWithMoveBudget(config: ShardConfig, model: CostModel, opts: MoveBudgetOptions): Promise<MoveBudgetResult> {
  const t0 = performance.now();
  const maxMoves = opts.maxMoves;
  if (!Number.isInteger(maxMoves) || maxMoves < 0) throw new RangeError(`the move budget must be a whole number ≥ 0, not ${maxMoves}`);
  const strategy = opts.strategy ?? 'best';
  const written: Placement = config.placement instanceof Map ? config.placement : new Map();
  // Scored only when complete (as the editor's lenses do): a partial placement's step means nothing.
  const complete = written.size > 0 && Array.isArray(config.tables) && config.tables.every((t) => written.has(t.name));
  const writtenPlan = complete ? await evaluatePlacement(config, written, model, strategy) : undefined;
  const full =
    opts.target ??
    (await planConfig(config, strategy, model, {
      seed: opts.seed,
      signal: opts.signal,
      start: written.size > 0 ? written : undefined,
      timeBudgetMs: opts.timeBudgetMs,
    }));
  const spent = performance.now() - t0;
  const ctl = new PlanControl(opts.signal, opts.timeBudgetMs !== undefined ? Math.max(1, opts.timeBudgetMs - spent) : undefined);
  const order = Array.isArray(config.tables) ? config.tables.map((t) => t.name) : [];
  const fullMoves = entryMoves(written, full.placement, order).length;
  const base = { written: writtenPlan, full, fullMoves, maxMoves, jointGainMs: 0 };
  const unchanged = (reasons: string[], tooFewMoves: boolean, requiredMoves: number): MoveBudgetResult => {
    // The placement stays the written one, so that applying this plan changes nothing.
    const plan = writtenPlan ?? { ...full, maxMs: 0, meanMs: 0, maxGpuMs: 0, phases: [], gpus: [], placement: new Map(written), feasible: false, reasons: [] };
    return {
      ...base,
      plan: { ...plan, feasible: false, reasons: [...reasons, ...plan.reasons], elapsedMs: performance.now() - t0 },
      moves: [],
      requiredMoves,
      tooFewMoves,
      method: 'written',
      elapsedMs: performance.now() - t0,
    };
  };
  // The planner could not plan at all (config problems): nothing to move toward.
  if (full.gpus.length === 0) return unchanged(full.reasons, false, 0);

  try {
    const cat = new Catalog(config);
    const initial = initialLayouts(cat);
    const writtenSpots = startLayouts(cat, written);
    const targetSpots = startLayouts(cat, full.placement);
    const { scorer, probe } = await prepareRecuts(
      cat,
      model,
      writtenSpots.map((w, t) => w?.layout ?? targetSpots[t]?.layout ?? initial.layouts[t]),
      ctl,
    );
    const solo = probe.solo;
    const prepared = cat.shards.length;
    const start = await writtenStart(cat, scorer, { f: probe.soloF, b: probe.soloB }, written, writtenSpots, targetSpots, initial.layouts, ctl);
    const stale = [...written.keys()].filter((name) => !cat.tableIndex.has(name));
    const requiredMoves = start.required.size + stale.length;
    if (requiredMoves > maxMoves) {
      const why = [
        start.required.size > 0 ? `${start.required.size} table${start.required.size === 1 ? '' : 's'} must be placed anew (no usable entry, or a GPU over memory)` : '',
        stale.length > 0 ? `${stale.length} entr${stale.length === 1 ? 'y names a table' : 'ies name tables'} not in the config` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      return unchanged(
        [`the written placement needs ${requiredMoves} move${requiredMoves === 1 ? '' : 's'} to become feasible (${why}), more than the budget of ${maxMoves}`],
        true,
        requiredMoves,
      );
    }
    // Stale entries are dropped whatever happens: the ledger budgets the rest.
    const limit = maxMoves - stale.length;
    const search = async (method: MoveBudgetMethod, from: PlanState): Promise<Candidate> => {
      const state = from.clone();
      const ledger = new MoveLedger(start.written, start.required, limit, state);
      if (method === 'toward-plan') {
        await budgetedSearch(state, ledger, ctl, { targets: targetSpots, local: false, solo });
        await budgetedSearch(state, ledger, ctl, { local: true, solo, prepared });
      } else if (method === 'local-search') {
        await budgetedSearch(state, ledger, ctl, { local: true, solo, prepared });
      } else if (method === 'back-from-plan') {
        await trimMoves(state, ledger, ctl, limit);
      }
      await trimMoves(state, ledger, ctl);
      state.settle();
      const placement = placementFrom(state, written, start.frozen);
      return { method, state, placement, moves: entryMoves(written, placement, order).length, unplaced: unplacedTables(state).length };
    };
    const candidates: Candidate[] = [await search('written', start.state)];
    candidates.push(await search('toward-plan', start.state));
    candidates.push(await search('local-search', start.state));
    candidates.push(await search('back-from-plan', fullState(start.state, targetSpots)));
    // The ledger keeps every search within the budget; the count on the entries themselves decides.
    let best = candidates[0];
    for (const c of candidates.slice(1)) if (c.moves <= maxMoves && better(c, best)) best = c;

    const plan = await evaluatePlacement(config, best.placement, model, strategy);
    ctl.check();
    const diff = entryMoves(written, best.placement, order);
    const moved = diff.map((m) => cat.tableIndex.get(m.table)).filter((t): t is number => t !== undefined && !start.required.has(t));
    const finalSpots = cat.tables.map((_, t) => spotOf(best.state, t));
    const gains = await moveGains(start.state, finalSpots, moved, [...start.required], ctl);
    const moves: PlannedMove[] = diff.map((m) => {
      const t = cat.tableIndex.get(m.table);
      const required = t === undefined || start.required.has(t);
      const gain = t !== undefined ? gains.gainMs.get(t) : undefined;
      return { ...m, required, ...(gain !== undefined && !required ? { gainMs: gain } : {}) };
    });
    plan.elapsedMs = performance.now() - t0;
    return {
      ...base,
      plan,
      moves,
      requiredMoves,
      tooFewMoves: false,
      method: best.method,
      jointGainMs: gains.joint.length > 0 ? gains.jointGainMs : 0,
      elapsedMs: performance.now() - t0,
    };
  } catch (err) {
    if (isAbortError(err)) throw err;
    return unchanged([`move-budget planning failed: ${err instanceof Error ? err.message : String(err)}`], false, 0);
  }
}
