/**
 * planConfig: the one entry point for every strategy (docs/architecture.md "Planners").
 * Builds the shard catalog, prepares the cost model once, chooses each
 * table's starting layout (data-parallel where replication pays), runs the
 * strategy, and scores the result with `assessPlacement` (the step's critical
 * path). The cost-driven strategies search on hedged set costs (hedge.ts) and
 * choose by the model's own; 'best' on clusters of up to LARGE_CLUSTER GPUs
 * also plans from TorchRec's plan and keeps the lower step. Never throws on odd input (it returns an infeasible plan with
 * reasons); rejects only with an AbortError when `signal` fires.
 * Deterministic for a seed unless `timeBudgetMs` cuts a phase short.
 */
import type { Placement, ShardConfig, TableSpec } from '../config/types';
import { tableMemoryBytes } from '../cost/memory';
import type { CostModel, SetScorer } from '../cost/types';
import { heuristicGreedy, randomPlace, roundRobinPlace, type HeuristicKey } from './baselines';
import { Catalog, isFree, type Layout } from './catalog';
import { chooseHosts, columnSearch, LARGE_CLUSTER, unsplitPass } from './columnSearch';
import { isAbortError, PlanControl } from './control';
import { replicatedTables } from './dataParallel';
import { assessPlacement, emptyResult, evaluatePlacement } from './evaluate';
import { greedyOrder, greedyPlace, soloCosts } from './greedy';
import { hedgedModel } from './hedge';
import { initialLayoutsPolled, TINY_TABLE_BYTES } from './layouts';
import { localSearch } from './localSearch';
import { makeRoom } from './makeRoom';
import { policySearch, shippedPolicy } from './policy';
import { unreplicatePass } from './replicaPass';
import { activeShards, placementOf, unplacedFree, unplacedTables } from './placementOf';
import { startLayouts, type StartLayout } from './repair';
import { seededRng } from './rng';
import { better, costGreedy, gridSearch, scoreOf, type Scored } from './search';
import { PlanState } from './state';
import { torchrecPlacement } from './torchrec/planner';
import { STRATEGIES, type PlanResult, type Strategy } from './types';

export interface PlanOptions {
  seed?: number;
  signal?: AbortSignal;
  /** Current placement: repaired (new/changed tables placed, removed ones dropped) and refined by local search. */
  start?: Placement;
  /** Soft limit, ms: optional phases (more grid scales, beam steps, local search) stop when it is spent. */
  timeBudgetMs?: number;
}

/**
 * Time kept for the end of a budgeted plan, as a multiple of what building
 * the catalog and the base state took (the final report repeats that work).
 */
const FINISH_RESERVE = 1.5;

/** Fraction of tables a start placement must keep for 'best' to stay incremental. */
const SMALL_EDIT_KEPT = 0.9;
/**
 * Busiest GPU over the mean of the (repaired) start placement at or below
 * which 'best' stays incremental; the same default as the SL101 imbalance warning.
 */
const WELL_BALANCED = 1.25;

function imbalance(state: PlanState): number {
  let sum = 0;
  for (let g = 0; g < state.n; g++) sum += state.total[g];
  return sum > 0 ? state.maxTotal() / (sum / state.n) : 1;
}

const HEURISTICS: Readonly<Partial<Record<Strategy, HeuristicKey>>> = {
  size: 'size',
  dim: 'dim',
  lookup: 'lookup',
  'size-lookup': 'size-lookup',
};
/** The simple baselines place tables table-wise as the papers do (no replication unless forced). */
const SIMPLE: ReadonlySet<Strategy> = new Set(['random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup']);

function infeasible(strategy: Strategy, model: CostModel | undefined, reasons: string[], t0: number): PlanResult {
  return { ...emptyResult(strategy, model, reasons), elapsedMs: performance.now() - t0 };
}

function configProblem(config: ShardConfig | undefined): string | undefined {
  if (!config || typeof config !== 'object') return 'there is no config to plan';
  if (!Array.isArray(config.tables)) return 'the config has no tables list';
  if (!config.devices || !Number.isFinite(config.devices.count)) return 'the config has no devices';
  if (!Number.isInteger(config.devices.count) || config.devices.count < 1) return `the cluster has no GPUs (devices.count = ${config.devices.count})`;
  if (!Number.isFinite(config.batchSize) || config.batchSize <= 0) return `batch_size must be a positive number (got ${config.batchSize})`;
  return undefined;
}

/**
 * The base state: layouts chosen, pinned shards on their GPU, group layouts
 * (row, table_row, grid, data_parallel) on their ranks, free shards unplaced.
 */
export function baseState(cat: Catalog, scorer: SetScorer, layouts: readonly (Layout | undefined)[]): PlanState {
  const state = new PlanState(cat, scorer);
  layouts.forEach((l, t) => {
    state.layoutOf[t] = l;
  });
  const pinned: [number, number][] = [];
  layouts.forEach((l, t) => {
    const pin = cat.tables[t].pin;
    if (l && l.kind === 'table' && pin !== undefined) pinned.push([l.shards[0], pin]);
  });
  // Pins first: a pinned table has one GPU, and groups placed before it could
  // fill that GPU while other hosts were free (then no plan at all).
  if (pinned.length > 0) state.placeBulk(pinned);
  placeGroupsBulk(
    state,
    layouts.map((l, t) => (l && !isFree(l.kind) ? t : -1)).filter((t) => t >= 0),
  );
  state.refreshAll();
  return state;
}

/** Places group layouts, biggest first, on the least-used hosts that hold them; rescored once at the end. */
function placeGroupsBulk(state: PlanState, tables: number[], hosts?: (number[] | undefined)[]): void {
  const cat = state.cat;
  const size = (t: number) => state.layoutOf[t]!.shards.reduce((a, s) => a + cat.mem[s], 0);
  for (const t of tables.sort((a, b) => size(b) - size(a) || a - b)) {
    const layout = state.layoutOf[t]!;
    const want = hosts?.[t];
    if (want && state.placeGroup(t, want, false)) continue;
    const h = chooseHosts(state, layout);
    if (h) state.placeGroup(t, h, false);
  }
}

export async function planConfig(config: ShardConfig, strategy: Strategy, model: CostModel, opts: PlanOptions = {}): Promise<PlanResult> {
  const t0 = performance.now();
  const own = await planOnce(config, strategy, model, opts);
  if (strategy !== 'best' || opts.start || own.placement.size === 0 || own.notes?.length || !(config.devices.count <= LARGE_CLUSTER)) return own;
  // On small clusters 'best' also plans from TorchRec's plan (the plan a
  // TorchRec user gets, --strategy torchrec): its placement as the start of
  // the layout search, which keeps that start as a candidate, so where
  // TorchRec's plan keeps its tiny tables as best does, best is never worse
  // than it by the model it plans with. Tiny tables (under TINY_TABLE_BYTES)
  // are left out of the start and placed as best places them (TorchRec's
  // planner may split a 4-row table). A plan of its own, in its own catalog,
  // so the plans of the strategies best runs are the same as when they run alone.
  const left = opts.timeBudgetMs === undefined ? undefined : opts.timeBudgetMs - (performance.now() - t0);
  if (left !== undefined && left <= 0) return own;
  try {
    const tr = await torchrecPlacement(config, model, new PlanControl(opts.signal, left));
    // First definition wins, as the catalog's table index (a duplicate name is not planned).
    const byName = new Map<string, TableSpec>();
    for (const t of config.tables) if (!byName.has(t.name)) byName.set(t.name, t);
    const start = new Map(
      [...tr.placement].filter(([name]) => {
        const t = byName.get(name);
        return t !== undefined && tableMemoryBytes(t, config.optimizer) >= TINY_TABLE_BYTES;
      }),
    );
    const rest = left === undefined ? undefined : left - (performance.now() - t0);
    const fromTr = start.size > 0 && (rest === undefined || rest > 0) ? await planOnce(config, 'column', model, { ...opts, start, timeBudgetMs: rest }) : undefined;
    // TorchRec's plan itself is a candidate too: the layout search ranks moves
    // on hedged set costs (hedge.ts), so its result can score above its start
    // by the model's own numbers; with TorchRec's plan among the candidates
    // best is never worse than it on these clusters.
    // Only without tiny tables: TorchRec's planner may split them or leave them
    // unreplicated, which best never does (layouts.ts TINY_TABLE_BYTES).
    const trPlan =
      tr.placement.size > 0 && tr.reasons.length === 0 && start.size === config.tables.length ? await evaluatePlacement(config, tr.placement, model, strategy) : undefined;
    let result = own;
    for (const c of [fromTr, trPlan]) {
      if (!c || !c.feasible || c.reasons.length > 0 || c.notes?.length) continue;
      if (!result.feasible || c.maxMs < result.maxMs - 1e-12 * result.maxMs) result = { ...c, strategy };
    }
    result.elapsedMs = performance.now() - t0;
    return result;
  } catch (err) {
    if (isAbortError(err)) throw err;
    return own;
  }
}

/** One strategy's plan (planConfig without best's TorchRec start). */
async function planOnce(config: ShardConfig, strategy: Strategy, model: CostModel, opts: PlanOptions): Promise<PlanResult> {
  const t0 = performance.now();
  const ctl = new PlanControl(opts.signal, opts.timeBudgetMs);
  try {
    ctl.check();
    if (!(STRATEGIES as readonly string[]).includes(strategy)) {
      return infeasible(strategy, model, [`unknown strategy "${String(strategy)}"; use one of ${STRATEGIES.join(', ')}`], t0);
    }
    if (!model || typeof model.prepare !== 'function') return infeasible(strategy, model, ['no cost model to score plans with'], t0);
    const problem = configProblem(config);
    if (problem) return infeasible(strategy, model, [problem], t0);
    if (strategy === 'policy') {
      const loaded = shippedPolicy();
      if (!loaded.ok) return infeasible(strategy, model, [`${loaded.error}; use --strategy search, column or best`], t0);
    }
    if (strategy === 'torchrec') {
      const tr = await torchrecPlacement(config, model, ctl);
      const result = await evaluatePlacement(config, tr.placement, model, strategy);
      ctl.check();
      result.reasons = [...tr.reasons, ...result.reasons.filter((r) => !/ is not placed$/.test(r) || tr.reasons.length === 0)];
      result.feasible = result.reasons.length === 0;
      return withBudgetNote(result, ctl, t0);
    }

    const tCatalog = performance.now();
    const cat = new Catalog(config);
    const initial = await initialLayoutsPolled(cat, ctl);
    const catalogMs = performance.now() - tCatalog;
    const kept = opts.start && opts.start instanceof Map ? startLayouts(cat, opts.start) : undefined;
    await ctl.tick();
    // The cost-driven strategies search on hedged compute (hedge.ts) and
    // choose and report plans by the model's own numbers.
    const planning = SIMPLE.has(strategy) ? model : hedgedModel(model);
    const tPrepare = performance.now();
    const scorer = planning.prepare(cat.shards, cat.env);
    ctl.prepareMsPerShard = (performance.now() - tPrepare) / Math.max(1, cat.shards.length);
    await ctl.tick();
    const layouts = initial.layouts.slice();
    if (!SIMPLE.has(strategy)) {
      for (const t of await replicatedTables(cat, scorer, layouts, ctl)) layouts[t] = cat.layout(t, 'data_parallel');
    }
    const seed = opts.seed ?? 0;
    // The simple baselines place the initial layouts (table-wise where they
    // fit); the cost-driven strategies start from the layouts with replication.
    const tBase = performance.now();
    const base = baseState(cat, scorer, SIMPLE.has(strategy) ? initial.layouts : layouts);
    // The final report cuts every table's shards again (as the catalog did)
    // and scores every GPU (as the base state did): keep about that much.
    ctl.reserve(FINISH_RESERVE * (catalogMs + performance.now() - tBase));
    await ctl.tick();
    // The model's own scorer over the catalog as it is when asked (the layout search grows it).
    let own: SetScorer | undefined;
    let ownSize = -1;
    const real = (): SetScorer => {
      if (planning === model) return scorer;
      if (!own || ownSize !== cat.shards.length) {
        own = model.prepare(cat.shards, cat.env);
        ownSize = cat.shards.length;
      }
      return own;
    };
    const final = await runStrategy(strategy, base, planning, ctl, seed, kept, real);

    // A table with some shards unplaced is left out of the placement entirely,
    // so take its placed shards off too: the state then matches the placement.
    const unplaced = unplacedTables(final);
    for (const t of unplaced) final.setLayout(t, final.layoutOf[t]);
    final.settle();
    // The final state's per-GPU sets are exactly the placement's, and its
    // compute was scored exactly by the prepared scorer (the same numbers as
    // predict, by the CostModel contract): reuse them.
    const result = await assessPlacement(config, placementOf(final), model, strategy, async (sets) =>
      sets.map((_, g) => ({
        fwdMs: final.fwd[g],
        bwdMs: final.bwd[g],
        uncertainty: final.scorer.score(final.members[g]).uncertainty,
      })),
    );
    ctl.check();
    const reasons = [...initial.reasons];
    if (unplaced.length > 0) {
      const names = unplaced.map((t) => cat.tables[t].name);
      reasons.push(
        `no GPU has room for ${names.length === 1 ? 'table' : 'tables'} ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''} within memory, pins and allowed sharding`,
      );
    }
    // assessPlacement already reports every unplaced table by name; keep its other reasons.
    const extra = result.reasons.filter((r) => !/ is not placed$/.test(r) || reasons.length === 0);
    result.reasons = [...reasons, ...extra];
    result.feasible = result.reasons.length === 0;
    return withBudgetNote(result, ctl, t0);
  } catch (err) {
    if (isAbortError(err)) throw err;
    return infeasible(strategy, model, [`planning failed: ${err instanceof Error ? err.message : String(err)}`], t0);
  }
}

/** Sets the plan's wall time and, when the time budget cut something short, its note. */
function withBudgetNote(result: PlanResult, ctl: PlanControl, t0: number): PlanResult {
  const note = ctl.budgetNote();
  // Without a placement there is no plan to qualify: the reasons say why.
  if (note && result.placement.size > 0) result.notes = [...(result.notes ?? []), note];
  result.elapsedMs = performance.now() - t0;
  return result;
}

/** A simple baseline's plan from `base`. */
async function simplePlan(strategy: Strategy, base: PlanState, ctl: PlanControl, seed: number): Promise<PlanState> {
  const heuristic = HEURISTICS[strategy];
  const state = base.clone();
  const shards = activeShards(state).filter((s) => state.gpuOfShard(s) < 0);
  if (heuristic) await heuristicGreedy(state, shards, heuristic, ctl);
  else if (strategy === 'random') await randomPlace(state, shards, seededRng(seed), ctl);
  else await roundRobinPlace(state, shards, ctl);
  return state;
}

/**
 * The plan of `strategy` from `base`. `model` is what the searches price with
 * (hedged for the cost-driven strategies, hedge.ts); `real()` is the model's
 * own scorer over the catalog as it is then: candidates are compared, the
 * last passes on splits and replicas run and the result returned scored by it.
 */
async function runStrategy(
  strategy: Strategy,
  base: PlanState,
  model: CostModel,
  ctl: PlanControl,
  seed: number,
  kept: (StartLayout | undefined)[] | undefined,
  real: () => SetScorer,
): Promise<PlanState> {
  if (SIMPLE.has(strategy)) return simplePlan(strategy, base, ctl, seed);

  const tSolo = performance.now();
  const solo = await soloCosts(base, ctl);
  ctl.newShardMs = ctl.prepareMsPerShard + (performance.now() - tSolo) / Math.max(1, base.cat.shards.length);
  // The best of some states by the model's own numbers: rescored (a plan), or as searched (a start to search on).
  const pickBest = (states: PlanState[]) => bestBy(states, real()).rescored;
  const bestStart = (states: PlanState[]) => states[bestBy(states, real()).index];
  /** A strategy's finished plan from its candidates: the best by the model's own numbers, after the last passes. */
  const ownPlan = (states: PlanState[], splits: boolean) => finish(pickBest(states), splits, ctl);
  if (strategy === 'policy') return ownPlan([await policySearch(base, ctl, { solo })], false);
  // Finished plans of the strategies run here: the lowest step (ties: the
  // lower spread) is the answer, so 'best' is never worse than a strategy it
  // ran to the end ('search', 'column', and on small clusters 'policy').
  const plans: PlanState[] = [];
  const splits = strategy === 'column' || strategy === 'best';
  /** The layout search from `start` and the unsplit pass: the 'column' strategy's plan from that start (`also`: more candidates). */
  const layoutSearch = async (start: PlanState, also: PlanState[] = []): Promise<PlanState> => {
    const candidates = [start, ...also];
    if (!ctl.outOfTime('the layout search')) candidates.push(await columnSearch(start, model, ctl, { seed }));
    return ownPlan(candidates, true);
  };
  const keptCount = kept ? kept.filter((k) => k).length : 0;
  const tableCount = base.layoutOf.filter((l) => l).length;
  if (kept && keptCount >= tableCount / 2) {
    // Incremental: the start placement, repaired, refined; stable for small edits.
    // The start as it was given (repaired) is a candidate too: an
    // incremental plan is never worse than its start by the model's own
    // numbers (the local search walks hedged ones).
    const { state: inc, start, startImbalance } = await incremental(base, kept, solo, ctl);
    if (splits) plans.push(await layoutSearch(inc, [start]));
    else plans.push(inc, start);
    // 'best' also plans from scratch after a large change (or when the start
    // covers little), in case the start is poor; small edits stay incremental
    // so live proposals come back well under a second. A start that was
    // already balanced is a previous plan plus a small edit; an unbalanced one
    // (e.g. a hand-written round-robin) is not worth keeping.
    const smallEdit = keptCount >= SMALL_EDIT_KEPT * tableCount && startImbalance <= WELL_BALANCED;
    if (strategy !== 'best' || smallEdit || ctl.outOfTime('planning from scratch')) return splits ? pickBest(plans) : ownPlan(plans, false);
  }
  if (strategy === 'greedy') {
    const g = await costGreedy(base, ctl, { solo });
    await makeRoom(g, solo, ctl);
    plans.push(g);
    return ownPlan(plans, false);
  }
  const searched = await gridSearch(base, ctl, { solo });
  await makeRoom(searched, solo, ctl);
  if (!splits) return ownPlan([...plans, searched], false);
  // 'column' and 'best': the layout search from the grid search's plan.
  plans.push(await layoutSearch(searched));
  if (strategy === 'column') return pickBest(plans);
  // 'best' holds the plan 'search' makes too.
  plans.push(await ownPlan([searched], false));

  // 'best' also tries other starts. On small clusters the learned policy and
  // round-robin (+ local search): with a fusing cost model (a GPU's cost is
  // not the sum of its tables') either sometimes lands below the greedy's LPT
  // order. Above LARGE_CLUSTER GPUs the grid search's start won on every bench
  // task and each extra start costs a quarter second.
  const starts: PlanState[] = [];
  const small = base.n <= LARGE_CLUSTER;
  if (small && shippedPolicy().ok && !ctl.outOfTime('the extra starts')) {
    const policy = await policySearch(base, ctl, { solo });
    starts.push(policy);
    // The plan 'policy' makes.
    plans.push(await ownPlan([policy], false));
  }
  if (small && !ctl.outOfTime('the extra starts')) {
    const rr = await simplePlan('round-robin', base, ctl, seed);
    await makeRoom(rr, solo, ctl);
    await localSearch(rr, ctl, { solo });
    starts.push(rr);
  }
  // 'best' is never worse than a simple baseline's placement of its layouts,
  // on any cluster: each one-pass baseline (same seed) is a start. One pass
  // each is cheap next to the search, and a cost that does not add up (a
  // GPU's backward pays the slowest hot row of its tables once, analytic.ts
  // serial_g) can make a plain baseline that happens to pair hot tables win.
  // They place the layouts 'best' chose, tiny tables replicated
  // (dataParallel.ts): a baseline strategy of its own leaves them table-wise,
  // which the step model can price a few µs lower (the DP all-reduce's
  // latency) but no engineer would pick.
  for (const s of SIMPLE) {
    if (ctl.outOfTime('the extra starts')) break;
    starts.push(await simplePlan(s, base, ctl, seed));
  }
  if (starts.length > 0) {
    // The layout search again from the best other start, when it beats the grid search's.
    const other = bestStart(starts);
    const beats = better(scoreOf(withScorer(other, real())), scoreOf(withScorer(searched, real())));
    plans.push(beats && !ctl.outOfTime('the layout search') ? await layoutSearch(other) : await ownPlan([other], false));
  }
  return pickBest(plans);
}

/**
 * The cost-driven strategies end with the last word on layouts, by the
 * model's own numbers: every split left (strategies that re-cut tables) and
 * every replica left must pay for itself.
 */
async function finish(state: PlanState, splits: boolean, ctl: PlanControl): Promise<PlanState> {
  return unreplicatePass(splits ? await unsplitPass(state, ctl) : state, ctl);
}

/** The best candidate by `real` (the model's own numbers): its index and its copy scored by `real`. */
function bestBy(candidates: PlanState[], real: SetScorer): { index: number; rescored: PlanState } {
  let best: Scored | undefined;
  let index = 0;
  candidates.forEach((c, i) => {
    c.settle();
    const sc = scoreOf(withScorer(c, real));
    if (!best || better(sc, best)) {
      best = sc;
      index = i;
    }
  });
  return { index, rescored: best!.state };
}

/** `state` scored by `scorer` (a rescored copy unless it already is). */
function withScorer(state: PlanState, scorer: SetScorer): PlanState {
  if (state.scorer === scorer) return state;
  const copy = state.clone();
  copy.scorer = scorer;
  copy.refreshAll();
  return copy;
}

/** Repair the start placement, place the rest greedily (placeStart), then local search. */
async function incremental(
  base: PlanState,
  kept: (StartLayout | undefined)[],
  solo: Float64Array,
  ctl: PlanControl,
): Promise<{ state: PlanState; start: PlanState; startImbalance: number }> {
  const start = await placeStart(base, kept, solo, ctl);
  const startImbalance = imbalance(start);
  const state = start.clone();
  await localSearch(state, ctl, { solo });
  return { state, start, startImbalance };
}

/** The start placement, repaired, with the rest placed greedily (no local search). */
async function placeStart(base: PlanState, kept: (StartLayout | undefined)[], solo: Float64Array, ctl: PlanControl): Promise<PlanState> {
  const cat = base.cat;
  // A fresh state with the kept layouts where there are some, the base's elsewhere.
  const state = new PlanState(cat, base.scorer);
  state.setSolo(base.soloF, base.soloB);
  const hosts: (number[] | undefined)[] = [];
  base.layoutOf.forEach((l, t) => {
    const k = cat.tables[t].pin === undefined ? kept[t] : undefined;
    state.layoutOf[t] = k ? k.layout : l;
    if (k && !isFree(k.layout.kind)) hosts[t] = k.hosts;
  });
  // Group layouts first (on their start hosts where they still fit), then
  // pinned and kept free shards, big ones first so a kept small table does not
  // take the room a kept big one had.
  placeGroupsBulk(
    state,
    state.layoutOf.map((l, t) => (l && !isFree(l.kind) ? t : -1)).filter((t) => t >= 0),
    hosts,
  );
  const fixed: [number, number][] = [];
  state.layoutOf.forEach((l, t) => {
    if (!l || !isFree(l.kind)) return;
    const pin = cat.tables[t].pin;
    if (pin !== undefined) {
      fixed.push([l.shards[0], pin]);
      return;
    }
    const k = kept[t];
    if (k) l.shards.forEach((s, i) => fixed.push([s, k.gpus[i]]));
  });
  fixed.sort((a, b) => cat.mem[b[0]] - cat.mem[a[0]] || a[0] - b[0]);
  state.placeBulk(fixed);
  await ctl.tick();
  await greedyPlace(state, greedyOrder(state, unplacedFree(state), solo), ctl);
  await makeRoom(state, solo, ctl);
  return state;
}
