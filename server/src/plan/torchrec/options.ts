/**
 * TorchRec's enumerator, re-implemented from its documented behaviour
 * (torchrec/distributed/planner/enumerators.py; docs/research/torchrec-planner.md
 * §1.4, §2): for each table, one sharding option per sharding type it may use
 * (EmbeddingBagCollection on CUDA: data_parallel, table_wise, column_wise,
 * table_column_wise, row_wise, table_row_wise; grid_shard only when asked for
 * by name), each with its shards cut as `calculate_shard_sizes_and_offsets`
 * cuts them and TorchRec's `partition_by`:
 *   data_parallel   W replicas                       uniform (shard i → rank i)
 *   table_wise      1 shard                          device
 *   column_wise     dim / block shards of width block device (each like a small table)
 *   table_col_wise  as column_wise                   host
 *   row_wise        W row blocks                     uniform
 *   table_row_wise  w row blocks (one host)          host
 *   grid_shard      dim/block column blocks × w      multi_host
 * block = the smallest divisor of dim that is ≥ min_partition (MIN_CW_DIM =
 * 128) and a multiple of 4, else dim (`_find_base_dim`). The compute kernel is
 * the table's own `kernel:` (TorchRec enumerates fused, fused_uvm and
 * fused_uvm_caching; the config has already chosen one). Each shard carries
 * its storage (cost/memory.ts, TorchRec's `calculate_shard_storages`).
 */
import { hostCount } from '../../config/placementRanks';
import type { ShardConfig, ShardingKind, TableSpec } from '../../config/types';
import { shardStorage, storageContext } from '../../cost/memory';
import { columnShards, replicaShard, tableShard } from '../../cost/shards';
import type { Shard } from '../../cost/types';
import type { PlanControl } from '../control';
import { ALL_KINDS, allowedKinds } from '../evaluate';

export type TorchRecType = 'data_parallel' | 'table_wise' | 'column_wise' | 'table_column_wise' | 'row_wise' | 'table_row_wise' | 'grid_shard';
export type PartitionBy = 'uniform' | 'device' | 'host' | 'multi_host';

export const TYPE_OF_KIND: Readonly<Record<ShardingKind, TorchRecType>> = {
  data_parallel: 'data_parallel',
  table: 'table_wise',
  column: 'column_wise',
  table_column: 'table_column_wise',
  row: 'row_wise',
  table_row: 'table_row_wise',
  grid: 'grid_shard',
};

const PARTITION_BY: Readonly<Record<TorchRecType, PartitionBy>> = {
  data_parallel: 'uniform',
  row_wise: 'uniform',
  table_wise: 'device',
  column_wise: 'device',
  table_column_wise: 'host',
  table_row_wise: 'host',
  grid_shard: 'multi_host',
};

/** TorchRec's default smallest column-wise shard width (planner constants.py MIN_CW_DIM). */
export const MIN_CW_DIM = 128;

/** Column-wise block width for `dim` (TorchRec `_find_base_dim`). */
export function columnBlock(dim: number, minPartition = MIN_CW_DIM): number {
  for (let i = minPartition; i < dim; i++) if (dim % i === 0 && i % 4 === 0) return i;
  return dim;
}

export interface OptionShard {
  shard: Shard;
  /** Perf of this shard, ms per step (set by the pricing). */
  perf: number;
  hbm: number;
  ddr: number;
}

/** `count` consecutive shards that are the same shard to TorchRec (same size, storage and perf). */
export interface ShardRun {
  shard: OptionShard;
  count: number;
}

export interface ShardingOption {
  table: number;
  type: TorchRecType;
  kind: ShardingKind;
  partitionBy: PartitionBy;
  /**
   * The option's shards in order, as runs of one shard repeated: a row-wise
   * or data-parallel option has a shard per rank, and 100,000 tables on 4,096
   * GPUs would otherwise hold 800 M entries; as runs it is 1–3 per option.
   */
  runs: ShardRun[];
  /** How many shards (Σ run counts). */
  count: number;
  /** grid_shard: row blocks per column block (ranks per host). */
  rowsPer: number;
  /**
   * A pinned table's GPU: TorchRec has no pins, so ShardLens hands it over as
   * fixed (its one table_wise shard can only go there).
   */
  pin?: number;
}

export function totalStorage(o: ShardingOption): { hbm: number; ddr: number } {
  let hbm = 0;
  let ddr = 0;
  for (const r of o.runs) {
    hbm += r.count * r.shard.hbm;
    ddr += r.count * r.shard.ddr;
  }
  return { hbm, ddr };
}

/** TorchRec's option score: max shard perf (use_depth) or their sum. */
export function optionScore(o: ShardingOption, useDepth = true): number {
  let m = 0;
  let sum = 0;
  for (const r of o.runs) {
    m = Math.max(m, r.shard.perf);
    sum += r.count * r.shard.perf;
  }
  return useDepth ? m : sum;
}

/** The option's shards one by one, in order (for options of a few shards: table, column, host-sized). */
export function optionShards(o: ShardingOption): OptionShard[] {
  const out: OptionShard[] = [];
  for (const r of o.runs) for (let i = 0; i < r.count; i++) out.push(r.shard);
  return out;
}

/**
 * The sharding types TorchRec would enumerate for a table: its allowed kinds
 * (grid only when the table's `sharding:` names a subset that includes it,
 * as TorchRec offers grid_shard only on request).
 */
export function enumeratedTypes(table: TableSpec): TorchRecType[] {
  const kinds = allowedKinds(table);
  const explicit = kinds.length < ALL_KINDS.length;
  return kinds.filter((k) => k !== 'grid' || explicit).map((k) => TYPE_OF_KIND[k]);
}

/** An option's shards as runs of one Shard object repeated (`count` times each). */
interface MadeRun {
  shard: Shard;
  count: number;
}

function shardsOf(table: TableSpec, type: TorchRecType, world: number, local: number): MadeRun[] {
  const one = (shards: Shard[]) => shards.map((shard) => ({ shard, count: 1 }));
  switch (type) {
    case 'data_parallel':
      return world >= 1 ? [{ shard: replicaShard(table, 0), count: world }] : [];
    case 'table_wise':
      return one([tableShard(table)]);
    case 'column_wise':
    case 'table_column_wise':
      return one(columnShards(table, table.dim / columnBlock(table.dim)));
    case 'row_wise':
      return world >= 2 ? blockRuns(table, world) : [];
    case 'table_row_wise':
      return local >= 2 ? blockRuns(table, local) : [];
    case 'grid_shard': {
      const block = columnBlock(table.dim);
      const cols = table.dim / block;
      if (cols < 2 || local < 1) return [];
      const rows = blockRuns({ ...table, dim: block }, local);
      return Array.from({ length: cols }, () => rows.map((r) => ({ ...r }))).flat();
    }
  }
}

/**
 * Row blocks in TorchRec's geometry as runs, one Shard object per distinct
 * block size (TorchRec prices blocks alike; positions do not matter to it):
 * full blocks, the remainder, empty trailing blocks.
 */
function blockRuns(table: TableSpec, parts: number): MadeRun[] {
  const runs: MadeRun[] = [];
  const add = (rows: number, count: number) => {
    if (count <= 0) return;
    const last = runs[runs.length - 1];
    if (last && last.shard.rows === rows) {
      last.count += count;
      return;
    }
    runs.push({ shard: { ...tableShard(table), rows, pooling: table.rows > 0 ? table.pooling * (rows / table.rows) : 0 }, count });
  };
  for (const [rows, count] of rowBlockRuns(table.rows, parts)) add(rows, count);
  return runs;
}

/**
 * cost/shards.ts rowBlockSizes(rows, parts) as (block rows, count) runs without the
 * per-block array: `last` full blocks of ⌈rows/parts⌉, the remainder, then
 * empty blocks (4,096 parts are 2–3 runs).
 */
export function rowBlockRuns(rows: number, parts: number): [number, number][] {
  if (!Number.isInteger(parts) || parts < 1 || !Number.isInteger(rows) || rows < 0) return [];
  const block = Math.ceil(rows / parts);
  if (block === 0) return [[0, parts]];
  const last = Math.min(parts, Math.floor(rows / block));
  const out: [number, number][] = [[block, last]];
  if (last < parts) out.push([rows - block * last, 1], [0, parts - last - 1]);
  return out;
}

/** Every table's options (shards with storage; perf 0 until priced). Tables without an option get []. */
export function enumerateOptions(config: ShardConfig): ShardingOption[][] {
  const e = enumerator(config);
  return config.tables.map((table, t) => e(table, t));
}

/** `enumerateOptions` yielding to `ctl` every 1,024 tables (cancellation, the event loop). */
export async function enumerateOptionsPolled(config: ShardConfig, ctl: PlanControl): Promise<ShardingOption[][]> {
  const e = enumerator(config);
  const out: ShardingOption[][] = [];
  for (let t = 0; t < config.tables.length; t++) {
    if ((t & 1023) === 1023) await ctl.tick();
    out.push(e(config.tables[t], t));
  }
  return out;
}

/** Table t's options under `config` (a later table with a name seen before gets []). */
function enumerator(config: ShardConfig): (table: TableSpec, t: number) => ShardingOption[] {
  const world = config.devices.count;
  const local = Math.min(world, config.devices.perHost);
  const ctx = storageContext(config);
  const bags = world > 0 ? config.batchSize / world : 0;
  const seen = new Set<string>();
  return (table, t) => {
    if (seen.has(table.name)) return [];
    seen.add(table.name);
    const options: ShardingOption[] = [];
    for (const type of enumeratedTypes(table)) {
      if (table.pin !== undefined && type !== 'table_wise') continue;
      if (type === 'grid_shard' && hostCount(config.devices) < 2) continue;
      const made = shardsOf(table, type, world, local);
      const count = made.reduce((a, r) => a + r.count, 0);
      if (count === 0) continue;
      // A one-shard column option is the table-wise option under another name
      // (same shard, perf and storage): TorchRec enumerates both; one is enough.
      if ((type === 'column_wise' || type === 'table_column_wise') && count === 1 && options.some((o) => o.type === 'table_wise')) continue;
      const kind = (Object.keys(TYPE_OF_KIND) as ShardingKind[]).find((k) => TYPE_OF_KIND[k] === type)!;
      // Replicas, and row blocks of one size, are the same shard to TorchRec
      // (same storage, same perf: it prices every block I/W): one object each.
      const alike = new Map<string, OptionShard>();
      const items: { shard: OptionShard; count: number }[] = made.map(({ shard, count: c }) => {
        if (type === 'data_parallel') shard.bags = bags;
        const key = `${shard.rows}|${shard.dim}`;
        let o = alike.get(key);
        if (!o) {
          const st = shardStorage(shard, count === 1 && kind !== 'data_parallel' ? 'table' : kind, table.pooling, ctx);
          o = { shard, perf: 0, hbm: st.hbm, ddr: st.host };
          alike.set(key, o);
        }
        return { shard: o, count: c };
      });
      const runs: ShardRun[] = [];
      for (const it of items) {
        const last = runs[runs.length - 1];
        if (last && last.shard === it.shard) last.count += it.count;
        else runs.push({ ...it });
      }
      const option: ShardingOption = { table: t, type, kind, partitionBy: PARTITION_BY[type], runs, count, rowsPer: local };
      if (table.pin !== undefined) option.pin = table.pin;
      options.push(option);
    }
    return options;
  };
}
