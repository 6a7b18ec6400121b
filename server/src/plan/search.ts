/**
 * NeuroShard-style placement search (Zha et al., MLSys 2023;
 * docs/research/sharding-anchors.md §6.4): greedy placement of the free shards over the
 * predicted step under several dim-balance scales (a GPU's pooled output
 * bytes ≤ scale × the mean; NeuroShard uses 1.00–1.50 in steps of 0.05) plus
 * one unconstrained pass, keep the lowest predicted step, then refine it by
 * local search.
 */
import type { PlanControl } from './control';
import { greedyOrder, greedyPlace, soloCosts } from './greedy';
import { EXACT_CANDIDATES } from './insert';
import { localSearch } from './localSearch';
import { unplacedFree, unplacedShards } from './placementOf';
import type { PlanState } from './state';

// Unconstrained first, then NeuroShard's scales in an order that spreads them
// out, so a search cut to a few passes still tries loose and tight caps.
export const GRID_SCALES = [Infinity, 1.1, 1.25, 1.0, 1.5, 1.05, 1.35, 1.15, 1.45, 1.2, 1.4, 1.3];

// Budget of cost-model calls for the greedy passes (each pass asks about
// EXACT_CANDIDATES GPUs per shard): a learned model costs ~40 µs a call, so
// large problems get fewer scales (100 tables: all 12; 856 tables: 1). On the
// bench the extra scales rarely beat the unconstrained pass once local search
// has run, since the greedy already prices communication.
const GRID_CALLS = 4_000;

export interface Scored {
  state: PlanState;
  unplaced: number;
  /** The step's critical path, ms. */
  max: number;
  spread: number;
}

export function scoreOf(state: PlanState): Scored {
  return { state, unplaced: unplacedShards(state).length, max: state.step(), spread: state.spread() };
}

/** Lexicographic: fewer unplaced shards, then lower step, then lower spread. */
export function better(a: Scored, b: Scored): boolean {
  if (a.unplaced !== b.unplaced) return a.unplaced < b.unplaced;
  const tol = 1e-9 * Math.max(a.max, b.max);
  if (Math.abs(a.max - b.max) > tol) return a.max < b.max;
  return a.spread < b.spread - 1e-9 * Math.max(a.spread, b.spread);
}

export interface SearchOptions {
  candidates?: number;
  solo?: Float64Array;
  /** Skip local search (the plain cost greedy). */
  greedyOnly?: boolean;
}

/** Plain cost greedy: one unconstrained pass from `base` (a state holding layouts and any fixed shards). */
export async function costGreedy(base: PlanState, ctl: PlanControl, opts: SearchOptions = {}): Promise<PlanState> {
  const solo = opts.solo ?? (await soloCosts(base, ctl));
  const state = base.clone();
  await greedyPlace(state, greedyOrder(state, unplacedFree(state), solo), ctl, { candidates: opts.candidates });
  return state;
}

/** Grid search over dim-balance scales, best kept, then local search. */
export async function gridSearch(base: PlanState, ctl: PlanControl, opts: SearchOptions = {}): Promise<PlanState> {
  const solo = opts.solo ?? (await soloCosts(base, ctl));
  const pending = unplacedFree(base);
  const order = greedyOrder(base, pending, solo);
  const k = Math.min(opts.candidates ?? 8, Math.max(1, base.n));
  const passes = Math.max(1, Math.min(GRID_SCALES.length, Math.floor(GRID_CALLS / Math.max(1, pending.length * EXACT_CANDIDATES))));
  let best: Scored | undefined;
  for (let i = 0; i < passes; i++) {
    if (i > 0 && ctl.outOfTime('the grid search')) break;
    await ctl.tick();
    const state = base.clone();
    await greedyPlace(state, order, ctl, { scale: GRID_SCALES[i], candidates: k });
    const scored = scoreOf(state);
    if (!best || better(scored, best)) best = scored;
  }
  const state = best!.state;
  if (!opts.greedyOnly) await localSearch(state, ctl, { solo, targets: k });
  return state;
}
