/**
 * Tables → the shards a GPU runs (cost/types.ts `Shard`): a whole table, or
 * equal column or row splits of it. Pure and throw-free: a split that cannot
 * be made returns [] (the validator and the planners report why).
 */
import { entryRanks, hostRanks, type RankShape } from '../config/placementRanks';
import { DTYPE_BYTES, type PlacementEntry, type TableSpec } from '../config/types';
import { blockLookupShare } from './rowBlocks';
import type { Shard } from './types';

/** Column widths stay multiples of this (docs/design.md: dim is a multiple of 4). */
export const COLUMN_ALIGN = 4;

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

/** True when `dim` splits into `parts` equal widths that are multiples of 4. */
export function canSplitColumns(dim: number, parts: number): boolean {
  return Number.isInteger(parts) && parts >= 1 && Number.isInteger(dim) && dim % parts === 0 && (dim / parts) % COLUMN_ALIGN === 0;
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
  return Array.from({ length: parts }, () => ({ ...base, dim: width, histogram: base.histogram && [...base.histogram] }))
    .map(dropUndefinedHistogram);
}

/**
 * `parts` row shards: rows split as equally as integers allow (the first
 * rows % parts shards get one more). Each block's pooling is the table's
 * pooling × the share of the lookups its rows receive (rowBlocks.ts
 * `blockLookupShare`): with hashed ids the block that holds the hottest rank
 * gets more than rows_i / rows, with sorted ids the first block gets the
 * head. `block` tells the cost models where the rows sit, and they price a
 * block from its own index statistics (distinct rows, hot share, hottest row),
 * not the table's. [] when parts is not a positive integer or exceeds the rows.
 */
export function rowShards(table: TableSpec, parts: number): Shard[] {
  if (!Number.isInteger(parts) || parts < 1 || !Number.isInteger(table.rows) || parts > table.rows) return [];
  const base = tableShard(table);
  const q = Math.floor(table.rows / parts);
  const extra = table.rows % parts;
  let offset = 0;
  return Array.from({ length: parts }, (_, i) => {
    const rows = q + (i < extra ? 1 : 0);
    const block = { offset, tableRows: table.rows, ids: table.ids };
    offset += rows;
    return dropUndefinedHistogram({
      ...base,
      rows,
      pooling: table.pooling * blockLookupShare(table.rows, table.zipf, block, rows, table.histogram),
      histogram: base.histogram && [...base.histogram],
      block,
    });
  });
}

/** The cluster numbers an entry's shards depend on. */
export interface ShardShape extends RankShape {
  /** Global bags per step (a data-parallel replica serves batchSize / count). */
  batchSize: number;
}

/**
 * Every shard a placement entry creates, with its GPU, for every sharding
 * kind: data_parallel a full replica per GPU serving the local batch; table
 * one shard; column / table_column equal widths; row / table_row row blocks;
 * grid one column block per host, row-split over that host's GPUs. A split
 * that cannot be made gives [] (the validator and evaluatePlacement say why).
 */
export function placementShards(table: TableSpec, entry: PlacementEntry, shape: ShardShape): { gpu: number; shard: Shard }[] {
  const zip = (gpus: readonly number[], shards: readonly Shard[]) =>
    shards.length === gpus.length ? shards.map((shard, i) => ({ gpu: gpus[i], shard })) : [];
  const gpus = entryRanks(entry, shape);
  switch (entry.kind) {
    case 'table': return [{ gpu: entry.gpu, shard: tableShard(table) }];
    case 'data_parallel': {
      const bags = shape.count > 0 ? shape.batchSize / shape.count : 0;
      return gpus.map((gpu) => ({ gpu, shard: { ...tableShard(table), bags } }));
    }
    case 'column': case 'table_column':
      return gpus.length === 1 ? [{ gpu: gpus[0], shard: tableShard(table) }] : zip(gpus, columnShards(table, gpus.length));
    case 'row': case 'table_row':
      return gpus.length === 1 ? [{ gpu: gpus[0], shard: tableShard(table) }] : zip(gpus, rowShards(table, gpus.length));
    case 'grid': {
      if (!canSplitColumns(table.dim, entry.hosts.length)) return [];
      const width = table.dim / entry.hosts.length;
      return entry.hosts.flatMap((h) => {
        const ranks = hostRanks(h, shape);
        return zip(ranks, rowShards({ ...table, dim: width }, ranks.length));
      });
    }
  }
}

function dropUndefinedHistogram(s: Shard): Shard {
  if (s.histogram === undefined) delete s.histogram;
  return s;
}
