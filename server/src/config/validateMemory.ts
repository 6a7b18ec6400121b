/**
 * Memory rules, in bytes, with the same accounting as the planners
 * (cost/memory.ts: weights + optimizer state; usable = HBM × (1 − reserve)):
 * a table that fits no GPU under its allowed sharding, tables that exceed the
 * whole cluster, and GPUs over capacity in the written placement.
 */
import { shardMemoryBytes, tableMemoryBytes, usableMemoryBytes } from '../cost/memory';
import { placementShards } from '../cost/shards';
import { entryRanks } from './placementRanks';
import { DTYPE_BYTES, type DeviceSpec, type Optimizer, type PlacementEntry, type Range, type ShardingKind, type TableSpec } from './types';
import { DIM_MULTIPLE } from './validateTables';
import type { PlacementRead } from './validatePlacement';
import { report, type Sink } from './yamlSource';

const GB = 1e9;

function gb(bytes: number): string {
  return `${(bytes / GB).toFixed(bytes < 10 * GB ? 2 : 1)} GB`;
}

/**
 * Bytes of the largest shard a table needs when spread as far as its allowed
 * kinds let it on `gpus` GPUs at `perHost` per host: row over every GPU,
 * table_row over one host, column widths (multiples of 4) over every GPU or
 * one host, grid blocks; data-parallel and table-wise hold it whole.
 */
export function smallestFootprintBytes(t: MemoryFacts, optimizer: Optimizer, gpus: number, perHost = gpus): number {
  const bytes = DTYPE_BYTES[t.dtype];
  // The whole table as one shard (what tableMemoryBytes computes for a full TableSpec).
  let best = shardMemoryBytes(t.rows, t.dim, bytes, optimizer);
  if (t.pin !== undefined) return best;
  const per = Math.max(1, Math.min(perHost, gpus));
  const hosts = Math.max(1, Math.ceil(gpus / per));
  const widthOver = (n: number) => {
    const shards = Math.max(1, Math.min(n, Math.floor(t.dim / DIM_MULTIPLE)));
    return Math.min(t.dim, Math.ceil(t.dim / shards / DIM_MULTIPLE) * DIM_MULTIPLE);
  };
  const allows = (k: ShardingKind) => t.sharding.includes(k);
  if (allows('row')) best = Math.min(best, shardMemoryBytes(Math.ceil(t.rows / gpus), t.dim, bytes, optimizer));
  if (allows('table_row')) best = Math.min(best, shardMemoryBytes(Math.ceil(t.rows / per), t.dim, bytes, optimizer));
  if (allows('column')) best = Math.min(best, shardMemoryBytes(t.rows, widthOver(gpus), bytes, optimizer));
  if (allows('table_column')) best = Math.min(best, shardMemoryBytes(t.rows, widthOver(per), bytes, optimizer));
  if (allows('grid')) best = Math.min(best, shardMemoryBytes(Math.ceil(t.rows / per), widthOver(hosts), bytes, optimizer));
  return best;
}

/** What the memory rules read of a table: also known for a table whose pooling (say) is still wrong. */
export type MemoryFacts = Pick<TableSpec, 'name' | 'rows' | 'dim' | 'dtype' | 'sharding' | 'pin'>;

/**
 * SL036 per table no GPU can hold; SL037 when all tables together exceed the
 * cluster (the tables given: a table whose rows or dim are unknown is left out,
 * so the total is at least what is reported).
 */
export function checkTableMemory(file: string, tables: readonly { spec: MemoryFacts; name: Range }[], tablesKey: Range, device: DeviceSpec, optimizer: Optimizer, out: Sink): void {
  const usable = usableMemoryBytes(device);
  let total = 0;
  for (const t of tables) {
    total += shardMemoryBytes(t.spec.rows, t.spec.dim, DTYPE_BYTES[t.spec.dtype], optimizer);
    const need = smallestFootprintBytes(t.spec, optimizer, device.count, device.perHost);
    if (need > usable) {
      const how = t.spec.pin !== undefined ? `pinned whole to GPU ${t.spec.pin}`
        : `with sharding [${t.spec.sharding.join(', ')}] over ${device.count} GPU${device.count === 1 ? '' : 's'}`;
      const advice = t.spec.sharding.includes('row') ? 'Add GPUs, lower rows/dim, use fp16, or lower reserve.' : "Allow 'row' (row_wise) in sharding, add GPUs, or shrink the table.";
      report(out, file, t.name, 'SL036', `Table '${t.spec.name}' needs at least ${gb(need)} on one GPU ${how}, but a ${device.type} has ${gb(usable)} usable (reserve ${device.reserve}). ${advice}`);
    }
  }
  const capacity = usable * device.count;
  if (total > capacity) {
    report(out, file, tablesKey, 'SL037', `The tables need ${gb(total)} (weights + ${optimizer} state) but ${device.count} × ${device.type} hold ${gb(capacity)} usable. Add GPUs, use fp16, shrink tables or lower reserve.`);
  }
}

/** Bytes each GPU holds under the written placement, and which entry contributes most to each. */
export function placementLoads(placement: ReadonlyMap<string, PlacementEntry>, tables: ReadonlyMap<string, TableSpec>, device: DeviceSpec, optimizer: Optimizer): { bytes: Float64Array; largest: (string | undefined)[]; largestBytes: Float64Array } {
  const bytes = new Float64Array(device.count);
  const largestBytes = new Float64Array(device.count);
  const largest: (string | undefined)[] = new Array(device.count).fill(undefined);
  const add = (g: number, name: string, b: number) => {
    if (g < 0 || g >= device.count) return;
    bytes[g] += b;
    if (b > largestBytes[g]) { largestBytes[g] = b; largest[g] = name; }
  };
  for (const [name, e] of placement) {
    const t = tables.get(name);
    if (!t) continue;
    for (const { gpu, shard } of placementShards(t, e, { count: device.count, perHost: device.perHost, batchSize: 0 })) {
      add(gpu, name, shardMemoryBytes(shard.rows, shard.dim, shard.dtypeBytes, optimizer));
    }
  }
  return { bytes, largest, largestBytes };
}

/**
 * SL051 on each data-parallel entry whose replica (weights + optimizer state)
 * exceeds one GPU's usable memory: every GPU holds all of it. Returns the
 * tables reported, so SL047 does not repeat it on every GPU.
 */
export function checkReplicaMemory(file: string, read: PlacementRead, tables: ReadonlyMap<string, TableSpec>, device: DeviceSpec, optimizer: Optimizer, out: Sink): Set<string> {
  const usable = usableMemoryBytes(device);
  const reported = new Set<string>();
  for (const [name, e] of read.placement) {
    const t = tables.get(name);
    const where = read.entries.get(name);
    if (e.kind !== 'data_parallel' || !t || !where) continue;
    const need = tableMemoryBytes(t, optimizer);
    if (need <= usable) continue;
    reported.add(name);
    const range = where.valueRange();
    const fixes = t.sharding.includes('row')
      ? [{ title: 'Split it by rows over every GPU: {row: all}', file, edits: [{ range, newText: '{row: all}' }], preferred: true }]
      : undefined;
    report(out, file, range, 'SL051', `'${name}' is data-parallel, so every GPU holds a full replica of ${gb(need)} (weights + ${optimizer} state), but a ${device.type} has ${gb(usable)} usable (reserve ${device.reserve}). Data-parallel suits small tables; split it instead ({row: all}, {table_row: {host: H}}).`, 'error', fixes);
  }
  return reported;
}

/** SL047 once per GPU over capacity, on the GPU index of its largest entry (not again for a replica SL051 reported). */
export function checkGpuMemory(file: string, read: PlacementRead, loads: ReturnType<typeof placementLoads>, device: DeviceSpec, out: Sink, alreadyReported: ReadonlySet<string> = new Set()): void {
  const usable = usableMemoryBytes(device);
  for (let g = 0; g < loads.bytes.length; g++) {
    if (loads.bytes[g] <= usable) continue;
    const name = loads.largest[g]!;
    if (alreadyReported.has(name)) continue;
    const entry = read.entries.get(name);
    const placed = read.placement.get(name);
    let range = entry?.range ?? read.section;
    if (entry && placed) {
      const i = entryRanks(placed, device).indexOf(g);
      range = entry.gpuRange(i) ?? entry.valueRange();
    }
    report(out, file, range, 'SL047', `GPU ${g} needs ${gb(loads.bytes[g])} for its tables but has ${gb(usable)} usable; its largest is '${name}' (${gb(loads.largestBytes[g])}). Move tables off GPU ${g} or run Replan.`);
  }
}
