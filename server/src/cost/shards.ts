/**
 * Tables → the shards a GPU runs (cost/types.ts `Shard`), with the geometry
 * TorchRec gives each sharding type (`calculate_shard_sizes_and_offsets` in
 * torchrec/distributed/sharding_plan.py; docs/research/torchrec-planner.md §2):
 * - row blocks: block = ⌈R/W⌉ rows, the last non-empty block takes the
 *   remainder and any later blocks are empty (R=10, W=4 → 3,3,3,1; R=5, W=4 →
 *   2,2,1,0), not the balanced split (3,3,2,2);
 * - column shards: equal widths, each a multiple of 4;
 * - table_row: row blocks over one host's GPUs; grid: one column block per
 *   host, row-blocked over that host's GPUs;
 * - data_parallel: a full replica per GPU serving the local batch (batch / N).
 * Pure and throw-free: a split that cannot be made returns [] (the validator
 * and the planners report why).
 */
import { entryRanks, hostRanks, type RankShape } from '../config/placementRanks';
import { canSplitColumns, rowBlockSizes } from '../config/splitGeometry';
import { DTYPE_BYTES, type PlacementEntry, type TableSpec } from '../config/types';
import { blockLookupShare } from './rowBlocks';
import type { Shard } from './types';

// The split arithmetic lives with the config language (the validator uses it too).
export { COLUMN_ALIGN, canSplitColumns, rowBlockSizes } from '../config/splitGeometry';

/** The whole table on one GPU. */
export function tableShard(table: TableSpec): Shard {
  const shard: Shard = {
    table: table.name,
    rows: table.rows,
    dim: table.dim,
    pooling: table.pooling,
    zipf: table.zipf,
    dtypeBytes: DTYPE_BYTES[table.dtype] ?? 4,
    kernel: table.kernel,
  };
  if (table.histogram) shard.histogram = [...table.histogram];
  if (table.cacheLoadFactor !== undefined) shard.cacheLoadFactor = table.cacheLoadFactor;
  return shard;
}

/**
 * `parts` column shards of equal width dim/parts (each a multiple of 4). Each
 * sees every lookup of the table (all rows, full pooling) but moves 1/parts of
 * the bytes. [] when the width cannot be split that way.
 */
export function columnShards(table: TableSpec, parts: number): Shard[] {
  if (!canSplitColumns(table.dim, parts)) return [];
  const base = tableShard(table);
  const width = table.dim / parts;
  return Array.from({ length: parts }, () => ({ ...base, dim: width, histogram: base.histogram && [...base.histogram] })).map(dropUndefinedHistogram);
}

/**
 * `parts` row blocks in TorchRec's geometry (rowBlockSizes), each with its
 * position (`block`). Each block's pooling is the table's pooling × the share
 * of the lookups its rows receive (rowBlocks.ts `blockLookupShare`): with
 * hashed ids the block that holds the hottest rank gets more than
 * rows_i / rows, with sorted ids the first block gets the head. The cost
 * models price a block from its own index statistics (distinct rows, hot
 * share, hottest row), not the table's. Empty trailing blocks have 0 rows and
 * 0 lookups. [] when parts is not a positive integer.
 */
export function rowShards(table: TableSpec, parts: number): Shard[] {
  const sizes = rowBlockSizes(table.rows, parts);
  if (sizes.length === 0) return [];
  const base = tableShard(table);
  let offset = 0;
  return sizes.map((rows) => {
    const block = { offset, tableRows: table.rows, ids: table.ids };
    offset += rows;
    return dropUndefinedHistogram({
      ...base,
      rows,
      // An empty block (TorchRec's trailing blocks) receives no lookups.
      pooling: rows > 0 ? table.pooling * blockLookupShare(table.rows, table.zipf, block, rows, table.histogram) : 0,
      histogram: base.histogram && [...base.histogram],
      block,
    });
  });
}

/** A data-parallel replica: the whole table, serving `bags` (the local batch). */
export function replicaShard(table: TableSpec, bags: number): Shard {
  return { ...tableShard(table), bags };
}

/** The cluster numbers an entry's shards depend on. */
export interface ShardShape extends RankShape {
  /** Global bags per step (a data-parallel replica serves batchSize / count). */
  batchSize: number;
}

/**
 * Every shard a placement entry creates, with its GPU, for every sharding
 * kind: data_parallel a replica per GPU serving the local batch; table one
 * shard; column / table_column equal widths on the listed GPUs; row / table_row
 * TorchRec row blocks over the listed GPUs / the host's GPUs (one GPU: the
 * whole table); grid one column block per host, row-blocked over that host's
 * GPUs. A split that cannot be made gives [] (the validator and
 * evaluatePlacement say why).
 */
export function placementShards(table: TableSpec, entry: PlacementEntry, shape: ShardShape): { gpu: number; shard: Shard }[] {
  const zip = (gpus: readonly number[], shards: readonly Shard[]) => (shards.length === gpus.length ? shards.map((shard, i) => ({ gpu: gpus[i], shard })) : []);
  const gpus = entryRanks(entry, shape);
  switch (entry.kind) {
    case 'table':
      return [{ gpu: entry.gpu, shard: tableShard(table) }];
    case 'data_parallel': {
      const bags = shape.count > 0 ? shape.batchSize / shape.count : 0;
      return gpus.map((gpu) => ({ gpu, shard: replicaShard(table, bags) }));
    }
    case 'column':
    case 'table_column':
      return gpus.length === 1 ? [{ gpu: gpus[0], shard: tableShard(table) }] : zip(gpus, columnShards(table, gpus.length));
    case 'row':
    case 'table_row':
      return gpus.length === 1 ? [{ gpu: gpus[0], shard: tableShard(table) }] : zip(gpus, rowShards(table, gpus.length));
    case 'grid': {
      if (entry.hosts.length === 0 || !canSplitColumns(table.dim, entry.hosts.length)) return [];
      const width = table.dim / entry.hosts.length;
      return entry.hosts.flatMap((h) => {
        const ranks = hostRanks(h, shape);
        return zip(ranks, rowShards({ ...table, dim: width }, ranks.length));
      });
    }
  }
}

/**
 * The largest shard `entry` makes (by rows × width: in TorchRec's cut the
 * first row block is the largest) and how many shards the entry makes, for
 * memory rules: the same geometry as placementShards without the row blocks'
 * lookup statistics, which storage does not depend on and which cost
 * milliseconds per table cut over hundreds of GPUs (rowBlocks.ts). Its
 * pooling is the table's, not a block's share: never price it. undefined when
 * the split cannot be made.
 */
export function largestShardForStorage(table: TableSpec, entry: PlacementEntry, shape: ShardShape): { shard: Shard; count: number } | undefined {
  const gpus = entryRanks(entry, shape);
  const block = (parts: number, dim: number): Shard | undefined => {
    const rows = rowBlockSizes(table.rows, parts)[0];
    return rows === undefined ? undefined : { ...tableShard(table), rows, dim, block: { offset: 0, tableRows: table.rows, ids: table.ids } };
  };
  switch (entry.kind) {
    case 'table':
      return { shard: tableShard(table), count: 1 };
    case 'data_parallel':
      return gpus.length > 0 ? { shard: replicaShard(table, shape.count > 0 ? shape.batchSize / shape.count : 0), count: gpus.length } : undefined;
    case 'column':
    case 'table_column':
      if (gpus.length === 1) return { shard: tableShard(table), count: 1 };
      return canSplitColumns(table.dim, gpus.length) ? { shard: { ...tableShard(table), dim: table.dim / gpus.length }, count: gpus.length } : undefined;
    case 'row':
    case 'table_row': {
      if (gpus.length === 1) return { shard: tableShard(table), count: 1 };
      const s = gpus.length > 1 ? block(gpus.length, table.dim) : undefined;
      return s && { shard: s, count: gpus.length };
    }
    case 'grid': {
      if (entry.hosts.length === 0 || !canSplitColumns(table.dim, entry.hosts.length)) return undefined;
      const groups = entry.hosts.map((h) => hostRanks(h, shape).length).filter((g) => g > 0);
      if (groups.length === 0) return undefined;
      const s = block(Math.min(...groups), table.dim / entry.hosts.length);
      return s && { shard: s, count: groups.reduce((a, g) => a + g, 0) };
    }
  }
}

function dropUndefinedHistogram(s: Shard): Shard {
  if (s.histogram === undefined) delete s.histogram;
  return s;
}
