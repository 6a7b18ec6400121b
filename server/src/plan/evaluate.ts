/**
 * Scores a written placement: per GPU the predicted forward/backward compute
 * (one batched `predict` over all GPUs), communication (cost/comm.ts), memory
 * against usable capacity, and every reason the placement cannot be used as is
 * (memory, pins, sharding kinds, bad GPU numbers, column widths, unplaced or
 * unknown tables). Never throws on odd input: problems become reasons.
 */
import type { Placement, PlacementEntry, ShardConfig, TableSpec } from '../config/types';
import { commMs, type CommLoad } from '../cost/comm';
import { shardMemoryBytes, usableMemoryBytes } from '../cost/memory';
import { entryRanks, type RankShape } from '../config/placementRanks';
import { renderEntry } from '../config/placementText';
import { placementShards } from '../cost/shards';
import type { ComputeCost, CostEnv, CostModel, Shard } from '../cost/types';
import { envOf, pooledBytesPerBag, validColumnParts } from './catalog';
import type { GpuReport, PlanResult, Strategy } from './types';
import { gib } from './units';

function describe(entry: PlacementEntry): string {
  return entry.kind === 'table' ? `GPU ${entry.gpu}` : renderEntry(entry);
}

/** Why `entry` is not usable for `table` on the cluster `shape` (empty: usable). */
export function entryProblems(table: TableSpec, entry: PlacementEntry, shape: RankShape): string[] {
  const problems: string[] = [];
  const n = shape.count;
  const kinds = table.sharding && table.sharding.length ? table.sharding : ['table', 'column', 'row'];
  if (!kinds.includes(entry.kind)) {
    problems.push(`table ${table.name} is placed ${entry.kind}-wise but allows only ${kinds.join(', ')}`);
  }
  const gpus = entryRanks(entry, shape);
  if (entry.kind !== 'table' && gpus.length === 0) problems.push(`table ${table.name} has an empty ${entry.kind} GPU list`);
  for (const g of gpus) {
    if (!Number.isInteger(g) || g < 0 || g >= n) problems.push(`table ${table.name} is placed on GPU ${g}, but the cluster has GPUs 0–${n - 1}`);
  }
  if (new Set(gpus).size !== gpus.length) problems.push(`table ${table.name} lists a GPU more than once in ${describe(entry)}`);
  if ((entry.kind === 'column' || entry.kind === 'table_column') && gpus.length > 1 && !validColumnParts(table.dim, gpus.length)) {
    problems.push(`table ${table.name}: dim ${table.dim} split into ${gpus.length} column shards is not a multiple of 4 wide`);
  }
  if (entry.kind === 'row' && gpus.length > table.rows) problems.push(`table ${table.name} has fewer rows than row shards`);
  if (table.pin !== undefined && !(entry.kind === 'table' && entry.gpu === table.pin)) {
    problems.push(`table ${table.name} is pinned to GPU ${table.pin} but placed on ${describe(entry)}`);
  }
  return problems;
}

function emptyResult(config: ShardConfig | undefined, strategy: Strategy, model: CostModel, reasons: string[], placement: Placement): PlanResult {
  return {
    strategy, elapsedMs: 0, maxMs: 0, meanMs: 0, feasible: false, reasons, gpus: [], placement,
    costModel: model?.name ?? 'none',
  };
}

/** Compute cost of every GPU's shard set; `predict` for a written placement, the planner's scorer for its own. */
export type ComputeFn = (sets: readonly (readonly Shard[])[], env: CostEnv) => Promise<readonly ComputeCost[]>;

/** Scores `placement` with `model.predict`, batched once over all GPUs. */
export function evaluatePlacement(
  config: ShardConfig, placement: Placement, model: CostModel, strategy: Strategy = 'best',
): Promise<PlanResult> {
  return assessPlacement(config, placement, model, strategy, (sets, env) => model.predict(sets, env));
}

/** evaluatePlacement with the compute costs supplied by the caller (same GPU sets, same order). */
export async function assessPlacement(
  config: ShardConfig, placement: Placement, model: CostModel, strategy: Strategy, computeFn: ComputeFn,
): Promise<PlanResult> {
  const t0 = performance.now();
  const place: Placement = placement instanceof Map ? placement : new Map();
  if (!config || !Array.isArray(config.tables) || !config.devices) {
    return emptyResult(config, strategy, model, ['the config has no tables or devices to evaluate'], place);
  }
  const n = Number.isInteger(config.devices.count) && config.devices.count > 0 ? config.devices.count : 0;
  const reasons: string[] = [];
  if (n === 0) reasons.push(`the cluster has no GPUs (devices.count = ${config.devices.count})`);
  const capacity = usableMemoryBytes(config.devices);
  const sets: Shard[][] = Array.from({ length: n }, () => []);
  const names: string[][] = Array.from({ length: n }, () => []);
  const memory = new Array<number>(n).fill(0);
  const loads: CommLoad[] = Array.from({ length: n }, () => ({ outBytesPerBag: 0, rowShardBytesPerBag: 0 }));
  const known = new Set<string>();

  for (const table of config.tables) {
    if (known.has(table.name)) continue;
    known.add(table.name);
    const entry = place.get(table.name);
    if (!entry) { reasons.push(`table ${table.name} is not placed`); continue; }
    const problems = entryProblems(table, entry, config.devices);
    reasons.push(...problems);
    const gpus = entryRanks(entry, config.devices);
    if (gpus.some((g) => !Number.isInteger(g) || g < 0 || g >= n)) continue;
    const shards = placementShards(table, entry, config.devices.count === n ? { ...config.devices, batchSize: config.batchSize } : { count: n, perHost: config.devices.perHost, batchSize: config.batchSize });
    if (shards.length === 0 && gpus.length > 0) continue;
    shards.forEach(({ gpu: g, shard: s }) => {
      sets[g].push(s);
      if (!names[g].includes(table.name)) names[g].push(table.name);
      memory[g] += shardMemoryBytes(s.rows, s.dim, s.dtypeBytes, config.optimizer);
      const bytes = pooledBytesPerBag(s);
      if (s.block) loads[g].rowShardBytesPerBag += bytes;
      else loads[g].outBytesPerBag += bytes;
    });
  }
  for (const name of place.keys()) {
    if (!known.has(name)) reasons.push(`placement names table ${name}, which is not in the config`);
  }

  const env = envOf(config);
  const compute = n > 0 ? await computeFn(sets, env) : [];
  const comm = n > 0 ? commMs(loads, env) : [];
  const gpus: GpuReport[] = [];
  for (let g = 0; g < n; g++) {
    const fwdMs = compute[g]?.fwdMs ?? 0;
    const bwdMs = compute[g]?.bwdMs ?? 0;
    const commMsG = (comm[g]?.fwdMs ?? 0) + (comm[g]?.bwdMs ?? 0);
    const report: GpuReport = {
      gpu: g, tables: names[g], fwdMs, bwdMs, commMs: commMsG, totalMs: fwdMs + bwdMs + commMsG,
      memoryBytes: memory[g], capacityBytes: capacity,
    };
    const u = compute[g]?.uncertainty;
    if (u !== undefined && Number.isFinite(u)) report.uncertaintyMs = u * (fwdMs + bwdMs);
    gpus.push(report);
    if (memory[g] > capacity) {
      reasons.push(`GPU ${g} needs ${gib(memory[g])} GiB but has ${gib(capacity)} GiB usable (after reserve ${config.devices.reserve})`);
    }
  }
  const maxMs = gpus.reduce((m, r) => Math.max(m, r.totalMs), 0);
  const meanMs = n > 0 ? gpus.reduce((m, r) => m + r.totalMs, 0) / n : 0;
  const result: PlanResult = {
    strategy, elapsedMs: performance.now() - t0, maxMs, meanMs, feasible: reasons.length === 0, reasons, gpus,
    placement: place, costModel: model.name,
  };
  const slowest = gpus.find((r) => r.totalMs === maxMs);
  if (slowest?.uncertaintyMs !== undefined) result.maxUncertaintyMs = slowest.uncertaintyMs;
  return result;
}
