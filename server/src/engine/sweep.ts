/**
 * "What if": the same tables planned on other clusters (GPU counts × GPU
 * types), one plan per cluster, so a lead can see what more or other GPUs buy.
 * Each row holds the plan's step time (PlanResult.maxMs, whatever the planner
 * defines it as), max/mean, memory used, whether it is feasible (else why
 * not) and its cost in GPU-seconds per step (step time × GPUs).
 *
 * Pure over its inputs: cost models come from the injected CostModels (one per
 * GPU type, shared with the rest of the engine), cancellation from an
 * AbortSignal, progress goes to a callback. Clusters are planned one after the
 * other: planning is CPU-bound, and a cancelled sweep should stop at once.
 */
import type { Diagnostic } from '../config/diagnostics';
import { GPU_PRESETS } from '../config/presets';
import type { DeviceSpec, ShardConfig } from '../config/types';
import { memoryBudget, tableStorage } from '../cost/memory';
import { PlanAbortedError } from '../plan/control';
import { planConfig } from '../plan/planner';
import type { PlanResult, Strategy } from '../plan/types';
import type { CostModels } from './costModelCache';
import { errorText } from './engineDiagnostics';
import type { Analysis } from './analyze';
import { DEFAULT_STRATEGY, blockingErrors } from './propose';

/**
 * Soft time limit of one plan in a sweep, ms. Four clusters of the 856-table
 * example must come back within 30 s on a busy 2-core machine (docs/cli.md,
 * "sweep"): optional search phases stop after this, mandatory ones finish.
 */
export const DEFAULT_SWEEP_PLAN_BUDGET_MS = 5_000;

export interface SweepCluster {
  /** GPU type, a preset name or the config's own type. */
  type: string;
  gpus: number;
}

export interface SweepRow extends SweepCluster {
  /** Step time of the plan found (PlanResult.maxMs), ms; absent when no feasible plan was found. */
  maxMs?: number;
  /** Mean per-GPU time of that plan, ms; absent when infeasible. */
  meanMs?: number;
  /**
   * Memory over the usable HBM of all GPUs (after `reserve`): what the plan
   * uses when it placed every table, else what the tables need (which says
   * why a cluster is too small). Above 1 means it cannot fit.
   */
  memoryFraction: number;
  feasible: boolean;
  /** Why no feasible plan was found (the planner's first reasons). */
  reason?: string;
  /** maxMs / 1000 × gpus: the cluster's cost of one step, GPU-seconds; absent when infeasible. */
  gpuSecondsPerStep?: number;
  strategy: Strategy;
  /** The model that scored the plan, e.g. "learned: h100-cost-v1" or "analytic: A100-80GB". */
  costModel: string;
  /** Why that model is a fallback or has a caveat, if it is. */
  costModelWarning?: string;
  /** Planner wall time, ms. */
  elapsedMs: number;
  /** Pins to GPUs this cluster does not have, which this plan ignored (e.g. "sparse_400 → GPU 33"). */
  droppedPins?: string[];
}

export interface SweepProgress {
  /** Clusters finished so far. */
  done: number;
  total: number;
  /** The cluster being planned next (absent once all are done). */
  next?: SweepCluster;
  /** The row just finished (absent on the first report). */
  row?: SweepRow;
}

export interface SweepOptions {
  /** GPU counts to plan for, e.g. [16, 32, 64, 128]. */
  counts: readonly number[];
  /** GPU types; default the config's own. */
  types?: readonly string[];
  strategy?: Strategy;
  seed?: number;
  /** Soft limit per plan, ms (default DEFAULT_SWEEP_PLAN_BUDGET_MS; 0 or Infinity: none). */
  planBudgetMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
}

export interface SweepResult {
  rows: SweepRow[];
  strategy: Strategy;
  /** The soft limit each plan ran under, ms (absent: none). */
  planBudgetMs?: number;
  /** Wall time of the whole sweep, ms. */
  elapsedMs: number;
}

/**
 * The config's devices moved to another cluster: `count` GPUs of `type`, the
 * same `per_host` unless it exceeds the count, the same `reserve`. The
 * config's own type keeps its numbers (overrides included); another type takes
 * its preset's (overrides describe the written hardware, not that one).
 */
export function clusterDevices(devices: DeviceSpec, cluster: SweepCluster): DeviceSpec {
  if (cluster.type !== devices.type && !GPU_PRESETS[cluster.type]) throw new Error(`unknown GPU type '${cluster.type}'`);
  const base = cluster.type === devices.type ? devices : { ...devices, ...GPU_PRESETS[cluster.type], type: cluster.type };
  return { ...base, count: cluster.gpus, perHost: Math.max(1, Math.min(devices.perHost, cluster.gpus)) };
}

/**
 * The config on another cluster. A pin names a GPU of the written cluster; on
 * a smaller one a pin past its last GPU means nothing, so it is dropped (and
 * reported) rather than making every smaller cluster infeasible.
 */
export function movedConfig(config: ShardConfig, devices: DeviceSpec): { config: ShardConfig; droppedPins: string[] } {
  const droppedPins: string[] = [];
  const tables = config.tables.map((t) => {
    if (t.pin === undefined || t.pin < devices.count) return t;
    droppedPins.push(`${t.name} \u2192 GPU ${t.pin}`);
    const { pin: _dropped, ...rest } = t;
    return rest;
  });
  return { config: { ...config, devices, tables }, droppedPins };
}

/**
 * HBM the tables need (one copy of each: weights + state, or the UVM cache)
 * over the cluster's space for shards (cost/memory.ts, as the validator counts it).
 */
function demandFraction(config: ShardConfig, devices: DeviceSpec): number {
  const need = config.tables.reduce((s, t) => s + tableStorage(t, config.optimizer).hbm, 0);
  const usable = Math.max(0, memoryBudget({ ...config, devices }).shardBytes) * devices.count;
  return usable > 0 ? need / usable : Infinity;
}

function usedFraction(plan: PlanResult, config: ShardConfig, devices: DeviceSpec): number {
  const placedAll = config.tables.every((t) => plan.placement.has(t.name));
  if (!placedAll || plan.gpus.length === 0) return demandFraction(config, devices);
  const used = plan.gpus.reduce((s, g) => s + g.memoryBytes, 0);
  const usable = plan.gpus.reduce((s, g) => s + g.capacityBytes, 0);
  return usable > 0 ? used / usable : Infinity;
}

function reasonOf(reasons: readonly string[]): string {
  if (reasons.length === 0) return 'no feasible plan found';
  const shown = reasons.slice(0, 2).join('; ');
  return reasons.length > 2 ? `${shown} (and ${reasons.length - 2} more)` : shown;
}

/** The row of one finished plan. */
export function sweepRow(cluster: SweepCluster, plan: PlanResult, config: ShardConfig, devices: DeviceSpec, costModelWarning?: string): SweepRow {
  const row: SweepRow = {
    type: cluster.type,
    gpus: cluster.gpus,
    memoryFraction: usedFraction(plan, config, devices),
    feasible: plan.feasible,
    strategy: plan.strategy,
    costModel: plan.costModel,
    elapsedMs: plan.elapsedMs,
  };
  if (costModelWarning) row.costModelWarning = costModelWarning;
  if (plan.feasible && plan.gpus.length > 0) {
    row.maxMs = plan.maxMs;
    row.meanMs = plan.meanMs;
    row.gpuSecondsPerStep = (plan.maxMs / 1000) * cluster.gpus;
  } else {
    row.reason = reasonOf(plan.reasons);
  }
  return row;
}

/** The clusters of a sweep, in the order they are planned and reported: per type, counts ascending. */
export function sweepClustersOf(config: ShardConfig, counts: readonly number[], types?: readonly string[]): SweepCluster[] {
  const ts = types && types.length > 0 ? types : [config.devices.type];
  const cs = [...new Set(counts)].sort((a, b) => a - b);
  return ts.flatMap((type) => cs.map((gpus) => ({ type, gpus })));
}

/**
 * Plans `config` on every cluster. Resolves to one row per cluster; rejects
 * only with an AbortError when `signal` fires. A cluster whose cost model
 * fails to load or whose planning fails gets an infeasible row that says so.
 */
export async function sweepConfig(config: ShardConfig, costModels: CostModels, options: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  const budget = options.planBudgetMs ?? DEFAULT_SWEEP_PLAN_BUDGET_MS;
  const planBudgetMs = budget > 0 && Number.isFinite(budget) ? budget : undefined;
  const clusters = sweepClustersOf(config, options.counts, options.types);
  const rows: SweepRow[] = [];
  const report = (p: SweepProgress) => {
    try {
      options.onProgress?.(p);
    } catch {
      /* a listener's failure must not stop the sweep */
    }
  };
  const check = () => {
    if (options.signal?.aborted) throw new PlanAbortedError();
  };

  report({ done: 0, total: clusters.length, next: clusters[0] });
  for (let i = 0; i < clusters.length; i++) {
    check();
    const cluster = clusters[i];
    // The written placement is a start only on the cluster it was written for:
    // that row then equals what `shardlens plan` and Replan find.
    const own = cluster.type === config.devices.type && cluster.gpus === config.devices.count;
    const start = own && config.placement && config.placement.size > 0 ? config.placement : undefined;
    let row: SweepRow;
    let devices: DeviceSpec | undefined;
    const tPlan = performance.now();
    try {
      devices = clusterDevices(config.devices, cluster);
      const { config: moved, droppedPins } = movedConfig(config, devices);
      const { model, warning } = await costModels.get(devices);
      check();
      const plan = await planConfig(moved, strategy, model, { seed: options.seed ?? 0, signal: options.signal, timeBudgetMs: planBudgetMs, start });
      row = sweepRow(cluster, plan, config, devices, warning);
      if (droppedPins.length > 0) row.droppedPins = droppedPins;
    } catch (err) {
      if (options.signal?.aborted) throw new PlanAbortedError();
      row = {
        type: cluster.type,
        gpus: cluster.gpus,
        memoryFraction: devices ? demandFraction(config, devices) : NaN,
        feasible: false,
        reason: `could not plan: ${errorText(err)}`,
        strategy,
        costModel: 'none',
        elapsedMs: performance.now() - tPlan,
      };
    }
    rows.push(row);
    report({ done: i + 1, total: clusters.length, next: clusters[i + 1], row });
  }
  return { rows, strategy, planBudgetMs, elapsedMs: performance.now() - t0 };
}

/**
 * Errors about the written cluster itself, which a sweep to other clusters
 * does not inherit: per_host vs count (SL021/SL022), a table no GPU of this
 * type holds (SL036), tables over the cluster's memory (SL037), reservations
 * that leave this GPU type no HBM for tables (SL052; the ids reservation
 * shrinks with more GPUs, and other types have more HBM).
 */
const CLUSTER_CODES = new Set(['SL021', 'SL022', 'SL036', 'SL037', 'SL052']);

/** The errors that stop a sweep: those that stop planning, less the ones about the written cluster. */
export function sweepBlockingErrors(analysis: Analysis): Diagnostic[] {
  return blockingErrors(analysis).filter((d) => !CLUSTER_CODES.has(d.code));
}
