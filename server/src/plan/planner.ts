/**
 * planConfig: the one entry point for every strategy (docs/design.md "Planner").
 * Builds the shard catalog, prepares the cost model once, runs the strategy,
 * and scores the result with `evaluatePlacement` (one batched predict).
 * Never throws on odd input (it returns an infeasible plan with reasons);
 * rejects only with an AbortError when `signal` fires. Deterministic for a
 * seed unless `timeBudgetMs` cuts a phase short.
 */
import type { Placement, ShardConfig } from '../config/types';
import type { CostModel } from '../cost/types';
import { heuristicGreedy, randomPlace, roundRobinPlace, type HeuristicKey } from './baselines';
import { Catalog } from './catalog';
import { columnSearch } from './columnSearch';
import { CommOracle } from './commOracle';
import { isAbortError, PlanControl } from './control';
import { assessPlacement } from './evaluate';
import { greedyOrder, greedyPlace, soloCosts } from './greedy';
import { initialLayouts } from './layouts';
import { localSearch } from './localSearch';
import { makeRoom } from './makeRoom';
import { policySearch, shippedPolicy } from './policy';
import { activeShards, placementOf, unplacedShards } from './placementOf';
import { startLayouts } from './repair';
import { seededRng } from './rng';
import { better, costGreedy, gridSearch, scoreOf } from './search';
import { PlanState } from './state';
import { STRATEGIES, type PlanResult, type Strategy } from './types';

export interface PlanOptions {
  seed?: number;
  signal?: AbortSignal;
  /** Current placement: repaired (new/changed tables placed, removed ones dropped) and refined by local search. */
  start?: Placement;
  /** Soft limit, ms: optional phases (more grid scales, beam steps, local search) stop when it is spent. */
  timeBudgetMs?: number;
}

/** Fraction of tables a start placement must keep for 'best' to stay incremental. */
const SMALL_EDIT_KEPT = 0.9;
/**
 * Max/mean of predicted GPU time of the (repaired) start placement at or below which 'best'
 * stays incremental; the same default as the SL101 imbalance warning.
 */
const WELL_BALANCED = 1.25;

function imbalance(state: PlanState): number {
  let sum = 0;
  for (let g = 0; g < state.n; g++) sum += state.total[g];
  return sum > 0 ? state.maxTotal() / (sum / state.n) : 1;
}

const HEURISTICS: Readonly<Partial<Record<Strategy, HeuristicKey>>> = {
  size: 'size', dim: 'dim', lookup: 'lookup', 'size-lookup': 'size-lookup',
};

function infeasible(strategy: Strategy, model: CostModel | undefined, reasons: string[], t0: number): PlanResult {
  return {
    strategy, elapsedMs: performance.now() - t0, maxMs: 0, meanMs: 0, feasible: false, reasons,
    gpus: [], placement: new Map(), costModel: model?.name ?? 'none',
  };
}

function configProblem(config: ShardConfig | undefined): string | undefined {
  if (!config || typeof config !== 'object') return 'there is no config to plan';
  if (!Array.isArray(config.tables)) return 'the config has no tables list';
  if (!config.devices || !Number.isFinite(config.devices.count)) return 'the config has no devices';
  if (!Number.isInteger(config.devices.count) || config.devices.count < 1) return `the cluster has no GPUs (devices.count = ${config.devices.count})`;
  if (!Number.isFinite(config.batchSize) || config.batchSize <= 0) return `batch_size must be a positive number (got ${config.batchSize})`;
  return undefined;
}

/** The base state: layouts chosen, pinned shards on their GPU, nothing else placed. */
function baseState(cat: Catalog, model: CostModel, layouts: ReturnType<typeof initialLayouts>['layouts']): PlanState {
  const state = new PlanState(cat, model.prepare(cat.shards, cat.env), new CommOracle(cat.gpus, cat.env));
  layouts.forEach((l, t) => { state.layoutOf[t] = l; });
  return state;
}

export async function planConfig(
  config: ShardConfig, strategy: Strategy, model: CostModel, opts: PlanOptions = {},
): Promise<PlanResult> {
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

    const cat = new Catalog(config);
    const initial = initialLayouts(cat);
    const kept = opts.start && opts.start instanceof Map ? startLayouts(cat, opts.start) : undefined;
    const base = baseState(cat, model, initial.layouts);
    const seed = opts.seed ?? 0;
    const final = await runStrategy(strategy, base, model, ctl, seed, kept);

    const unplaced = unplacedShards(final);
    // A table with some shards unplaced is left out of the placement entirely,
    // so take its placed shards off too: the state then matches the placement.
    for (const s of unplaced) for (const x of final.layoutOf[cat.tableOf[s]]!.shards) final.unplace(x);
    // The final state's per-GPU sets are exactly the placement's, so its prepared
    // scorer's numbers (the same as predict's, by the CostModel contract) are
    // reused instead of preparing every shard again.
    const result = await assessPlacement(config, placementOf(final), model, strategy, async (sets) => sets.map((_, g) => ({
      fwdMs: final.fwd[g], bwdMs: final.bwd[g], uncertainty: final.scorer.score(final.members[g]).uncertainty,
    })));
    ctl.check();
    const reasons = [...initial.reasons];
    if (unplaced.length > 0) {
      const names = [...new Set(unplaced.map((s) => cat.tables[cat.tableOf[s]].name))];
      reasons.push(`no GPU has room for ${names.length === 1 ? 'table' : 'tables'} ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''} within memory, pins and allowed sharding`);
    }
    // evaluatePlacement already reports every unplaced table by name; keep its other reasons.
    const extra = result.reasons.filter((r) => !/ is not placed$/.test(r) || reasons.length === 0);
    result.reasons = [...reasons, ...extra];
    result.feasible = result.reasons.length === 0;
    result.elapsedMs = performance.now() - t0;
    return result;
  } catch (err) {
    if (isAbortError(err)) throw err;
    return infeasible(strategy, model, [`planning failed: ${err instanceof Error ? err.message : String(err)}`], t0);
  }
}

async function runStrategy(
  strategy: Strategy, base: PlanState, model: CostModel, ctl: PlanControl, seed: number,
  kept: ReturnType<typeof startLayouts> | undefined,
): Promise<PlanState> {
  if (isBaseline(strategy)) return baselinePlan(strategy, base, ctl, seed);

  const solo = soloCosts(base);
  if (strategy === 'policy') return policySearch(base, ctl, { solo });
  const candidates: PlanState[] = [];
  const keptCount = kept ? kept.filter((k) => k).length : 0;
  const tableCount = base.layoutOf.filter((l) => l).length;
  const splits = strategy === 'column' || strategy === 'best';
  if (kept && keptCount >= tableCount / 2) {
    // Incremental: the start placement, repaired, refined; stable for small edits.
    const { state: inc, startImbalance } = await incremental(base, kept, solo, ctl);
    candidates.push(inc);
    if (splits && !ctl.outOfTime()) candidates.push(await columnSearch(inc, model, ctl, { seed }));
    // 'best' also plans from scratch after a large change (or when the start
    // covers little), in case the start is poor; small edits stay incremental
    // so live proposals come back well under a second.
    // A start that was already balanced is a previous plan plus a small edit;
    // an unbalanced one (e.g. a hand-written round-robin) is not worth keeping,
    // so 'best' plans from scratch too.
    const smallEdit = keptCount >= SMALL_EDIT_KEPT * tableCount && startImbalance <= WELL_BALANCED;
    if (strategy !== 'best' || smallEdit || ctl.outOfTime()) return pickBest(candidates);
  }
  if (strategy === 'greedy') {
    const g = await costGreedy(base, ctl, { solo });
    await makeRoom(g, solo, ctl);
    candidates.push(g);
  } else {
    const searched = await gridSearch(base, ctl, { solo });
    await makeRoom(searched, solo, ctl);
    // 'best' also tries the learned policy (+ local search): at 856 tables it
    // often lands below the grid search in a fraction of its time (bench:policy),
    // and the column search then starts from whichever of the two is better.
    const starts = [searched];
    if (strategy === 'best' && shippedPolicy().ok && !ctl.outOfTime()) starts.push(await policySearch(base, ctl, { solo }));
    // 'best' is never worse than a baseline (one pass each, cheap next to the
    // search): the search balances costs that mostly add up, and a cost that
    // does not (a GPU's backward pays the slowest hot row of its tables once,
    // analytic.ts serial_g) can make a plain baseline that happens to pair hot
    // tables win.
    if (strategy === 'best') {
      for (const b of BASELINES) {
        if (ctl.outOfTime()) break;
        starts.push(await baselinePlan(b, base, ctl, seed));
      }
    }
    candidates.push(...starts);
    if (splits && !ctl.outOfTime()) candidates.push(await columnSearch(pickBest(starts), model, ctl, { seed }));
  }
  return pickBest(candidates);
}

/** The one-pass strategies 'best' must never lose to. */
const BASELINES: readonly Strategy[] = ['round-robin', 'random', 'size', 'dim', 'lookup', 'size-lookup'];

function isBaseline(strategy: Strategy): boolean {
  return HEURISTICS[strategy] !== undefined || strategy === 'random' || strategy === 'round-robin';
}

/** A baseline strategy's placement from `base` (a clone; `base` is untouched). */
async function baselinePlan(strategy: Strategy, base: PlanState, ctl: PlanControl, seed: number): Promise<PlanState> {
  const heuristic = HEURISTICS[strategy];
  const shards = activeShards(base);
  const state = base.clone();
  state.syncComm();
  if (heuristic) await heuristicGreedy(state, shards, heuristic, ctl);
  else if (strategy === 'random') await randomPlace(state, shards, seededRng(seed), ctl);
  else await roundRobinPlace(state, shards, ctl);
  return state;
}

function pickBest(candidates: PlanState[]): PlanState {
  let best = candidates[0];
  for (const c of candidates.slice(1)) if (better(scoreOf(c), scoreOf(best))) best = c;
  return best;
}

/** Repair the start placement, place the rest greedily, then local search. */
async function incremental(
  base: PlanState, kept: NonNullable<ReturnType<typeof startLayouts>>, solo: Float64Array, ctl: PlanControl,
): Promise<{ state: PlanState; startImbalance: number }> {
  const state = base.clone();
  state.syncComm();
  kept.forEach((k, t) => {
    if (!k) return;
    state.layoutOf[t] = k.layout;
  });
  // Big shards first so a kept small table does not take the room a kept big one had.
  const fixed: [number, number][] = [];
  kept.forEach((k) => { if (k) k.layout.shards.forEach((s, i) => fixed.push([s, k.gpus[i]])); });
  fixed.sort((a, b) => state.cat.mem[b[0]] - state.cat.mem[a[0]] || a[0] - b[0]);
  state.placeBulk(fixed);
  await ctl.tick();
  await greedyPlace(state, greedyOrder(state, unplacedShards(state), solo), ctl);
  await makeRoom(state, solo, ctl);
  const startImbalance = imbalance(state);
  await localSearch(state, ctl, { solo });
  return { state, startImbalance };
}
