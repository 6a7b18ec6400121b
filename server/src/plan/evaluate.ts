/**
 * Scores a written placement: per GPU the predicted forward/backward compute
 * (one batched `predict` over all GPUs), the step's phases (cost/stepCost.ts:
 * ids all-to-all, lookups, output dist, gradient dist, DP all-reduce), memory
 * as TorchRec accounts for it (cost/memory.ts) against the space for shards,
 * and every reason the placement cannot be used as is (memory, pins, sharding
 * kinds, bad GPU numbers, column widths, unplaced or unknown tables). Never
 * throws on odd input: problems become reasons.
 */
import { entryRanks, type RankShape } from '../config/placementRanks';
import { renderEntry } from '../config/placementText';
import { ALL_SHARDING_KINDS } from '../config/shardingKinds';
import type { Placement, PlacementEntry, ShardConfig, ShardingKind, TableSpec } from '../config/types';
import { commConstants } from '../cost/comm';
import { memoryBudget, shardStorage, storageContext } from '../cost/memory';
import { canSplitColumns, placementShards } from '../cost/shards';
import { addEntryLoads, emptyLoads, phaseComm, phaseTotal, stepCost, stepUncertaintyMs } from '../cost/stepCost';
import type { ComputeCost, CostEnv, CostModel, Shard } from '../cost/types';
import { envOf } from './catalog';
import type { GpuReport, PlanResult, Strategy } from './types';
import { formatBytes } from '../config/byteUnits';

/** Every sharding kind (the loader's default `sharding:`; an empty list, from code that builds configs, allows them all too). */
export const ALL_KINDS: readonly ShardingKind[] = ALL_SHARDING_KINDS;

/** The kinds a table may use. */
export function allowedKinds(table: TableSpec): readonly ShardingKind[] {
  return table.sharding && table.sharding.length ? table.sharding : ALL_KINDS;
}

function describe(entry: PlacementEntry): string {
  return entry.kind === 'table' ? `GPU ${entry.gpu}` : renderEntry(entry);
}

/** Why `entry` is not usable for `table` on the cluster `shape` (empty: usable). */
export function entryProblems(table: TableSpec, entry: PlacementEntry, shape: RankShape): string[] {
  const problems: string[] = [];
  const n = shape.count;
  const kinds = allowedKinds(table);
  if (!kinds.includes(entry.kind)) {
    problems.push(`table ${table.name} is placed ${entry.kind}-wise but allows only ${kinds.join(', ')}`);
  }
  const gpus = entryRanks(entry, shape);
  if (entry.kind !== 'table' && gpus.length === 0) problems.push(`table ${table.name} has an empty ${entry.kind} GPU list`);
  for (const g of gpus) {
    if (!Number.isInteger(g) || g < 0 || g >= n) problems.push(`table ${table.name} is placed on GPU ${g}, but the cluster has GPUs 0–${n - 1}`);
  }
  if (new Set(gpus).size !== gpus.length) problems.push(`table ${table.name} lists a GPU more than once in ${describe(entry)}`);
  if ((entry.kind === 'column' || entry.kind === 'table_column') && gpus.length > 1 && !canSplitColumns(table.dim, gpus.length)) {
    problems.push(`table ${table.name}: dim ${table.dim} split into ${gpus.length} column shards is not a multiple of 4 wide`);
  }
  if (entry.kind === 'grid' && entry.hosts.length > 0 && !canSplitColumns(table.dim, entry.hosts.length)) {
    problems.push(`table ${table.name}: dim ${table.dim} split into ${entry.hosts.length} grid column blocks is not a multiple of 4 wide`);
  }
  if (table.pin !== undefined && !(entry.kind === 'table' && entry.gpu === table.pin)) {
    problems.push(`table ${table.name} is pinned to GPU ${table.pin} but placed on ${describe(entry)}`);
  }
  return problems;
}

/** A plan with no GPU costs: what every planner returns when it cannot plan (`reasons` say why). */
export function emptyResult(strategy: Strategy, model: CostModel | undefined, reasons: string[], placement: Placement = new Map()): PlanResult {
  return {
    strategy,
    elapsedMs: 0,
    maxMs: 0,
    meanMs: 0,
    maxGpuMs: 0,
    phases: [],
    feasible: false,
    reasons,
    gpus: [],
    placement,
    costModel: model?.name ?? 'none',
  };
}

/** Compute cost of every GPU's shard set; `predict` for a written placement, the planner's scorer for its own. */
export type ComputeFn = (sets: readonly (readonly Shard[])[], env: CostEnv) => Promise<readonly ComputeCost[]>;

/** Scores `placement` with `model.predict`, batched once over all GPUs. */
export function evaluatePlacement(config: ShardConfig, placement: Placement, model: CostModel, strategy: Strategy = 'best'): Promise<PlanResult> {
  return assessPlacement(config, placement, model, strategy, (sets, env) => model.predict(sets, env));
}

/** evaluatePlacement with the compute costs supplied by the caller (same GPU sets, same order). */
export async function assessPlacement(config: ShardConfig, placement: Placement, model: CostModel, strategy: Strategy, computeFn: ComputeFn): Promise<PlanResult> {
  const t0 = performance.now();
  const place: Placement = placement instanceof Map ? placement : new Map();
  if (!config || !Array.isArray(config.tables) || !config.devices) {
    return emptyResult(strategy, model, ['the config has no tables or devices to evaluate'], place);
  }
  const n = Number.isInteger(config.devices.count) && config.devices.count > 0 ? config.devices.count : 0;
  const reasons: string[] = [];
  if (n === 0) reasons.push(`the cluster has no GPUs (devices.count = ${config.devices.count})`);
  const budget = memoryBudget(config);
  const capacity = budget.shardBytes;
  const ctx = storageContext(config);
  const env = envOf(config);
  const k = commConstants(env);
  const shape = { count: n, perHost: config.devices.perHost, batchSize: config.batchSize };
  const sets: Shard[][] = Array.from({ length: n }, () => []);
  const names: string[][] = Array.from({ length: n }, () => []);
  const memory = new Array<number>(n).fill(0);
  const hostMemory = new Array<number>(n).fill(0);
  const loads = emptyLoads(n);
  const known = new Set<string>();

  for (const table of config.tables) {
    if (known.has(table.name)) continue;
    known.add(table.name);
    const entry = place.get(table.name);
    if (!entry) {
      reasons.push(`table ${table.name} is not placed`);
      continue;
    }
    reasons.push(...entryProblems(table, entry, config.devices));
    const gpus = entryRanks(entry, shape);
    if (gpus.some((g) => !Number.isInteger(g) || g < 0 || g >= n)) continue;
    const shards = placementShards(table, entry, shape);
    if (shards.length === 0) continue;
    shards.forEach(({ gpu: g, shard: s }) => {
      sets[g].push(s);
      // A table's shards come together: comparing with the last name is enough
      // (an includes() scan was O(tables²) per GPU with many replicated tables).
      const list = names[g];
      if (list[list.length - 1] !== table.name) list.push(table.name);
      const st = shardStorage(s, shards.length === 1 && entry.kind !== 'data_parallel' ? 'table' : entry.kind, table.pooling, ctx);
      memory[g] += st.hbm;
      hostMemory[g] += st.host;
    });
    addEntryLoads(loads, table, entry, shards, shape, k);
  }
  for (const name of place.keys()) {
    if (!known.has(name)) reasons.push(`placement names table ${name}, which is not in the config`);
  }

  const compute = n > 0 ? await computeFn(sets, env) : [];
  const step = stepCost(loads, compute, env, shape);
  const gpus: GpuReport[] = [];
  for (let g = 0; g < n; g++) {
    const t = step.perGpu[g];
    const row: GpuReport = {
      gpu: g,
      tables: names[g],
      fwdMs: t.forward,
      bwdMs: t.backward,
      commMs: phaseComm(t),
      totalMs: phaseTotal(t),
      memoryBytes: memory[g],
      capacityBytes: capacity,
      phaseMs: t,
    };
    const u = compute[g]?.uncertainty;
    if (u !== undefined && Number.isFinite(u)) row.uncertaintyMs = u * (t.forward + t.backward);
    if (hostMemory[g] > 0) row.hostMemoryBytes = hostMemory[g];
    gpus.push(row);
    if (memory[g] > capacity) {
      reasons.push(
        `GPU ${g} needs ${formatBytes(memory[g])} for its shards but has ${formatBytes(Math.max(0, capacity))} (HBM after reserve ${config.devices.reserve}, dense ${formatBytes(budget.denseBytes)} and ids ${formatBytes(budget.kjtBytes)})`,
      );
    }
    if (hostMemory[g] > budget.hostBytes) {
      reasons.push(`GPU ${g} needs ${formatBytes(hostMemory[g])} of host memory for UVM-cached tables but has ${formatBytes(budget.hostBytes)}`);
    }
  }
  const meanMs = n > 0 ? gpus.reduce((m, r) => m + r.totalMs, 0) / n : 0;
  const maxGpuMs = gpus.reduce((m, r) => Math.max(m, r.totalMs), 0);
  const result: PlanResult = {
    strategy,
    elapsedMs: performance.now() - t0,
    maxMs: step.stepMs,
    meanMs,
    maxGpuMs,
    phases: step.phases,
    feasible: reasons.length === 0,
    reasons,
    gpus,
    placement: place,
    costModel: model.name,
  };
  const stepU = stepUncertaintyMs(step, compute);
  if (stepU !== undefined) result.maxUncertaintyMs = stepU;
  return result;
}
