/**
 * What one placement entry means, shard by shard: the GPU (rank) and host of
 * each shard, the rows and columns it holds, the bags it serves and its bytes,
 * with the kind's TorchRec name and whether TorchRec can express it. The shards
 * come from `placementShards` (cost/shards.ts), the one source of shard sizes;
 * only the column offsets are derived here (shards do not carry them).
 * Feeds the placement hover; pure data, no LSP.
 */
import { hostOf } from '../config/placementRanks';
import { SHARDING_KIND_INFO, type ShardingKindInfo } from '../config/shardingKinds';
import { torchrecGap, torchrecGenerator, type TorchRecGap } from '../config/torchrecForm';
import type { PlacementEntry, ShardConfig, ShardingKind } from '../config/types';
import { shardStorage, storageContext } from '../cost/memory';
import { placementShards } from '../cost/shards';
import type { Shard } from '../cost/types';

export interface ShardInfo {
  gpu: number;
  host: number;
  /** First row and number of rows. */
  rowStart: number;
  rows: number;
  /** First column and number of columns. */
  colStart: number;
  cols: number;
  /** Bags per step this shard serves (a data-parallel replica serves its local batch). */
  bags: number;
  /** HBM bytes as the validator and planners count them (cost/memory.ts): weights + optimizer state (or the UVM cache), I/O buffers. */
  bytes: number;
  /** The shard itself, as the cost models price it. */
  shard: Shard;
}

export interface EntryInfo {
  name: string;
  entry: PlacementEntry;
  /** How its shards are stored (cost/memory.ts): a one-shard split is stored table-wise. */
  storedAs: ShardingKind;
  kind: ShardingKindInfo;
  /** The TorchRec generator call, e.g. `table_row_wise(host_index=1)`. */
  torchrecCall: string;
  /** Why TorchRec cannot express it, if it cannot. */
  gap?: TorchRecGap;
  tableRows: number;
  dim: number;
  shards: ShardInfo[];
}

/** The shards of `name`'s written (or given) entry; undefined when the table or entry is unknown. */
export function describeEntry(config: ShardConfig, name: string, given?: PlacementEntry): EntryInfo | undefined {
  const table = config.tables.find((t) => t.name === name);
  const entry = given ?? config.placement?.get(name);
  if (!table || !entry) return undefined;
  const shape = { count: config.devices.count, perHost: config.devices.perHost, batchSize: config.batchSize };
  const made = placementShards(table, entry, shape);
  const ctx = storageContext(config);
  // One shard is stored as a table-wise shard (TorchRec's storage of a one-way split).
  const storedAs = made.length === 1 && entry.kind !== 'data_parallel' ? 'table' : entry.kind;
  const colOffset = new Map<number, number>();
  let nextCol = 0;
  const shards = made.map(({ gpu, shard }) => {
    let colStart = 0;
    if (entry.kind === 'column' || entry.kind === 'table_column') {
      colStart = nextCol;
      nextCol += shard.dim;
    } else if (entry.kind === 'grid') {
      // Column block c lives on hosts[c]; all GPUs of that host hold the same columns.
      const c = entry.hosts.indexOf(hostOf(gpu, shape));
      if (!colOffset.has(c)) colOffset.set(c, c * shard.dim);
      colStart = colOffset.get(c)!;
    }
    return {
      gpu,
      host: hostOf(gpu, shape),
      rowStart: shard.block?.offset ?? 0,
      rows: shard.rows,
      colStart,
      cols: shard.dim,
      bags: shard.bags ?? config.batchSize,
      bytes: shardStorage(shard, storedAs, table.pooling, ctx).hbm,
      shard,
    };
  });
  const gen = torchrecGenerator(entry);
  const info: EntryInfo = {
    name,
    entry,
    storedAs,
    kind: SHARDING_KIND_INFO[entry.kind],
    torchrecCall: `${gen.fn}(${gen.args.join(', ')})`,
    tableRows: table.rows,
    dim: table.dim,
    shards,
  };
  const gap = torchrecGap(table, entry, shape);
  if (gap) info.gap = gap;
  return info;
}
