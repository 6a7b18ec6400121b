/**
 * Inputs of the learned placement policy. Mirrors models/policy/features.py
 * number for number (test/unit/policy compares them on the exported fixtures);
 * change both together and bump POLICY_FEATURE_VERSION.
 *
 * Every quantity is relative to the task, so one policy serves any table count,
 * GPU count and cost model: costs over the fair share per GPU (sum of
 * single-shard costs / GPUs), memory over one GPU's usable bytes, pooled dim
 * bytes (what the all-to-all moves) over their fair share per GPU.
 */
import type { Shard } from '../cost/types';

export const POLICY_FEATURE_VERSION = 2;

export const POLICY_TABLE_FEATURES = ['cost_share', 'mem_frac', 'log2_dim', 'log_pooling', 'alpha', 'log10_rows', 'dtype', 'dim_share'] as const;
/**
 * Per GPU besides the pooled encodings: memory fraction, predicted compute +
 * all-to-all ms (the planner's PlanState total), pooled dim bytes, shard count (each scaled).
 */
export const POLICY_GPU_SCALARS = ['mem_frac', 'cost', 'dim', 'count'] as const;
/** Per candidate GPU, relative to the others: cost − least cost among allowed GPUs, most cost − cost, share of cost left to place. */
export const POLICY_CROSS_FEATURES = ['gap_to_min', 'gap_to_max', 'remaining'] as const;

export interface TaskScales {
  /** Fair share of compute per GPU, ms (1 when there is none). */
  cost: number;
  /** Fair share of pooled dim bytes per GPU (1 when there is none). */
  dim: number;
  /** Shards per GPU, at least 1. */
  count: number;
}

export function taskScales(costs: ArrayLike<number>, dimBytes: ArrayLike<number>, gpus: number): TaskScales {
  let c = 0;
  let d = 0;
  for (let i = 0; i < costs.length; i++) {
    c += costs[i];
    d += dimBytes[i];
  }
  const load = c / gpus;
  const dimLoad = d / gpus;
  return { cost: load > 0 ? load : 1, dim: dimLoad > 0 ? dimLoad : 1, count: Math.max(1, costs.length / gpus) };
}

/** Feature vector of one shard (see POLICY_TABLE_FEATURES). */
export function shardFeatures(shard: Shard, costMs: number, memBytes: number, capacityBytes: number, scales: TaskScales): number[] {
  return [
    costMs / scales.cost,
    memBytes / capacityBytes,
    Math.log2(Math.max(1, shard.dim)) / 8,
    Math.log(Math.max(1e-3, shard.pooling)) / 4,
    shard.zipf,
    Math.log10(Math.max(1, shard.rows)) / 9,
    shard.dtypeBytes / 4,
    (shard.dim * shard.dtypeBytes) / scales.dim,
  ];
}

/**
 * Decision order: pinned shards first (no choice, and the others should see
 * them), then by single-shard cost descending (DreamShard's order), index last.
 */
export function placementOrder(items: readonly number[], costs: ArrayLike<number>, pinned: (i: number) => boolean): number[] {
  return items.slice().sort((a, b) => {
    const pa = pinned(a) ? 0 : 1;
    const pb = pinned(b) ? 0 : 1;
    return pa - pb || costs[b] - costs[a] || a - b;
  });
}
