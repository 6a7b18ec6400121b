/**
 * Each table's predicted cost on its own (one table alone on one GPU): what the
 * per-table code lens and hover show. Memoised per cost model and table shape so
 * typing in a 10,000-table file re-predicts only the tables that changed.
 */
import { entryRanks, type RankShape } from '../config/placementRanks';
import type { Kernel, PlacementEntry, ShardConfig, ShardingKind } from '../config/types';
import type { ComputeCost, CostEnv, CostModel } from '../cost/types';
import { tableMemoryBytes } from '../cost/memory';
import { shardCostKey } from '../cost/shardKey';
import { tableShard } from '../cost/shards';

export interface TableCost {
  name: string;
  /** Forward ms per step, the table alone on one GPU. */
  fwdMs: number;
  /** Backward + optimizer update ms per step, alone. */
  bwdMs: number;
  /** Weights + optimizer state, bytes (whole table, all shards). */
  memoryBytes: number;
  /** Relative ± of fwdMs + bwdMs (ComputeCost.uncertainty); absent when the model reports none. */
  uncertainty?: number;
  /** GPUs the written placement puts it on (empty when unplaced). */
  gpus: number[];
  /** How the written placement splits it, when placed. */
  kind?: ShardingKind;
  /** The kernel that runs it, which picked the model that priced it. */
  kernel: Kernel;
}

/** Bound on memoised entries per model: ~100 B each, so a few MB at most. */
const MEMO_LIMIT = 50_000;
const memo = new WeakMap<CostModel, Map<string, ComputeCost>>();

export function costEnv(config: ShardConfig): CostEnv {
  return { batchSize: config.batchSize, optimizer: config.optimizer, device: config.devices };
}

export function entryGpus(entry: PlacementEntry | undefined, shape: RankShape): number[] {
  return entry ? entryRanks(entry, shape) : [];
}

export async function computeTableCosts(config: ShardConfig, model: CostModel): Promise<Map<string, TableCost>> {
  const env = costEnv(config);
  const envKey = JSON.stringify(env);
  let cache = memo.get(model);
  if (!cache) {
    cache = new Map();
    memo.set(model, cache);
  }

  const shards = config.tables.map((t) => tableShard(t));
  const keys = shards.map((s) => `${envKey}|${shardCostKey(s)}`);
  const missing: number[] = [];
  keys.forEach((k, i) => {
    if (!cache.has(k)) missing.push(i);
  });
  if (missing.length > 0) {
    // One batched call for every table not seen before (ONNX: one session run).
    const predicted = await model.predict(
      missing.map((i) => [shards[i]]),
      env,
    );
    if (cache.size + missing.length > MEMO_LIMIT) cache.clear();
    missing.forEach((i, j) => cache.set(keys[i], predicted[j]));
  }

  const out = new Map<string, TableCost>();
  config.tables.forEach((table, i) => {
    const cost = cache.get(keys[i]) ?? { fwdMs: NaN, bwdMs: NaN };
    const entry = config.placement?.get(table.name);
    const tc: TableCost = {
      name: table.name,
      fwdMs: cost.fwdMs,
      bwdMs: cost.bwdMs,
      memoryBytes: tableMemoryBytes(table, config.optimizer),
      gpus: entryGpus(entry, config.devices),
      kind: entry?.kind,
      kernel: table.kernel,
    };
    if (cost.uncertainty !== undefined) tc.uncertainty = cost.uncertainty;
    out.set(table.name, tc);
  });
  return out;
}
